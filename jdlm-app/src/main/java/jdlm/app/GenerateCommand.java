package jdlm.app;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;

import jdlm.LoadedModel;
import jdlm.format.Json;
import jdlm.sample.GenerationResult;
import jdlm.sample.SamplerOptions;
import jdlm.sample.StepListener;
import jdlm.tokenizer.ChatMessage;
import jdlm.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jdlm generate}: continue a prompt. A masked-diffusion model denoises {@code [prompt | MASK × n]}
 * with the chosen policy; a causal model samples token by token over its KV cache.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Continue a prompt with a trained model: diffusion (masked, block or uniform: denoising) or, for a causal model, autoregressive.",
                "Example: ./jdlm generate --model runs/austen --prompt \"It is a truth\" --length 64 --steps 32 --show-steps"})
final class GenerateCommand implements Callable<Integer> {
    @Mixin ModelOptions modelOptions;
    @Option(names = "--prompt", defaultValue = "", paramLabel = "TEXT", description = "Text to continue (default: empty).")
    String prompt;
    @Option(names = "--chat", description = "Wrap --prompt as a user turn in the model's chat template (LLaDA-Instruct, Dream-Instruct, ChatML) and generate the assistant's answer.")
    boolean chat;
    @Option(names = "--system", paramLabel = "TEXT", description = "With --chat: the system message (default: the template's own, if any).")
    String system;
    @Mixin SamplingOptions sampling;
    @Option(names = "--no-eos-stop", description = "Fill all --length tokens: the answer does not end at EOS (a masked model then never chooses EOS).")
    boolean noEosStop;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        LoadedModel m = modelOptions.open(err::println);
        sampling.suggest(SuggestedSampling.of(m), m.causal(), err::println);
        Tokenizer tok = m.tokenizer();
        int[] promptIds = chat ? chatPrompt(m) : m.encodePrompt(prompt);
        if (system != null && !chat) throw new IllegalArgumentException("--system applies only with --chat");
        int context = m.config().contextLength();
        if ((long) promptIds.length + sampling.length > context) {
            throw new IllegalArgumentException("--prompt (" + promptIds.length + " tokens) plus --length " + sampling.length
                    + " needs " + ((long) promptIds.length + sampling.length) + " positions, more than the model's context length " + context);
        }
        PrintWriter viewOut = sampling.json ? err : out;
        DenoisingView view = sampling.showSteps ? new DenoisingView(tok, viewOut, !sampling.json && Terminal.interactive(), sampling.length) : null;

        StepListener listener = view != null ? view
                : new GenerationProgress(sampling.plannedSteps(m.causal()), m.causal() ? "decoding" : "denoising",
                        GenerationProgress.QUIET_SECONDS);
        Generated g = generate(m, promptIds, sampling, noEosStop, view != null ? view::start : row -> { }, listener, err::println);
        GenerationResult r = g.result();
        Map<String, Object> settings = g.settings();
        int[] answer = r.answers()[0];
        String text = tok.decode(answer);
        if (sampling.json) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("text", text);
            j.put("prompt", prompt);
            j.put("prompt_tokens", IntStream.of(promptIds).mapToObj(t -> (long) t).toList());
            putMeasurements(j, r, answer, m);
            j.put("settings", settings);
            out.println(Json.write(j));
        } else {
            out.println(prompt + text);
        }
        out.flush();
        return 0;
    }

    /** What one generation gave, and the settings it ran with (for --json and the server). */
    record Generated(GenerationResult result, Map<String, Object> settings) {}

    /**
     * Continues {@code promptIds} as the model's kind asks: a causal model autoregressively over its
     * KV cache, a uniform-diffusion model ancestrally, any other with the denoising sampler (a
     * block model in its blocks). {@code start} sees the first canvas (or the prompt, for a causal
     * model), {@code listener} every step; {@code notes} hears about options that do not apply.
     */
    static Generated generate(LoadedModel m, int[] promptIds, SamplingOptions sampling, boolean noEosStop,
                              java.util.function.Consumer<int[]> start, StepListener listener, java.util.function.Consumer<String> notes) {
        SamplerOptions o;
        Map<String, Object> settings;
        if (m.causal()) {
            String ignored = sampling.diffusionOnlyOptionsGiven();
            if (!ignored.isEmpty()) {
                notes.accept("note: " + m.file() + " is a causal model, sampled autoregressively with its KV cache; " + ignored + " ignored");
            }
            o = SamplerOptions.of(1, 0).withTokens(sampling.tokens()).withSeed(sampling.seed);
            settings = new LinkedHashMap<>();
            settings.put("sampler", "autoregressive");
            settings.put("length", (long) sampling.length);
            sampling.putTokenSettings(settings);
        } else if (m.uniform()) {
            o = sampling.uniformOptions();
            settings = sampling.uniformSettings();
        } else {
            o = sampling.diffusion(m.schedule(), m.config().blockSize()).withEos(noEosStop, false, !noEosStop, false);
            settings = sampling.diffusionSettings(o);
        }
        if (m.causal() || m.uniform()) o = o.withEos(false, false, !noEosStop, false);
        GenerationResult r;
        try {
            r = m.generate(promptIds, sampling.length, o, start, listener);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().replace("--max-tokens", "--length"), e);
        }
        settings.put("eos_stop", !noEosStop);
        return new Generated(r, settings);
    }

    /** The fields --json output of generate and infill share: tokens, steps, passes, timing, model. */
    static void putMeasurements(Map<String, Object> j, GenerationResult r, int[] answer, LoadedModel m) {
        double seconds = r.wallNanos() / 1e9;
        List<Long> ids = IntStream.of(answer).mapToObj(t -> (long) t).toList();
        j.put("tokens", ids);
        j.put("steps", (long) r.steps()[0]);
        j.put("forward_passes", (long) r.forwardPasses());
        j.put("seconds", seconds);
        j.put("tokens_per_second", seconds > 0 ? answer.length / seconds : 0.0);
        j.put("model", m.file().toString());
        j.put("ema", m.ema());
    }

    /** The prompt as the first user turn of a chat, followed by the assistant's generation prompt. */
    private int[] chatPrompt(LoadedModel m) {
        if (m.chat() == null) {
            throw new IllegalArgumentException("--chat needs a model with a chat template (an imported LLaDA/Dream instruct model,"
                    + " GGUF or Hugging Face); " + m.file() + " has none");
        }
        List<ChatMessage> messages = new ArrayList<>();
        if (system != null) messages.add(ChatMessage.system(system));
        messages.add(ChatMessage.user(prompt));
        return m.encodeChat(messages);
    }
}
