package jdlm.app;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import jdlm.LoadedModel;
import jdlm.TextStream;
import jdlm.format.Json;
import jdlm.sample.GenerationResult;
import jdlm.sample.StepListener;
import jdlm.tokenizer.ChatMessage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jdlm chat}: a conversation with an instruct model in the terminal. Each line read is a user
 * turn; the answer is generated from the whole conversation in the model's chat template, and the
 * oldest turns are dropped when it no longer fits the context.
 */
@Command(name = "chat", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Talk with an instruct model (an imported LLaDA/Dream instruct GGUF or Hugging Face directory): each line you"
                + " type is a user turn, answered from the whole conversation in the model's chat template.",
                "Type /reset to start a new conversation, /exit (or end the input) to leave. The oldest turns are dropped when the"
                        + " conversation no longer fits the model's context.",
                "Example: ./jdlm chat --model LLaDA-8B-Instruct-Q4_K_M.gguf --length 128 --steps 64 --block 32 --block-cache --show-steps"})
final class ChatCommand implements Callable<Integer> {
    @Mixin ModelOptions modelOptions;
    @Option(names = "--system", paramLabel = "TEXT", description = "The system message that starts every conversation (default: the template's own, if any).")
    String system;
    @Mixin SamplingOptions sampling;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        LoadedModel m = modelOptions.open(err::println);
        if (m.chat() == null) {
            throw new IllegalArgumentException("chat needs a model with a chat template (an imported LLaDA/Dream instruct model,"
                    + " GGUF or Hugging Face); " + m.file() + " has none: continue text with ./jdlm generate instead");
        }
        sampling.suggest(SuggestedSampling.of(m), m.causal(), err::println);
        boolean terminal = Terminal.interactive();
        err.println("chat with " + m.describe());
        err.println("type a message and Enter; /reset starts over, /exit leaves");
        List<ChatMessage> turns = new ArrayList<>(); // user and assistant, alternating
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        int turn = 0;
        while (true) {
            if (terminal) {
                out.print("> ");
                out.flush();
            }
            String line = readLine(in);
            if (line == null || line.strip().equals("/exit") || line.strip().equals("/quit")) break;
            if (line.isBlank()) continue;
            if (line.strip().equals("/reset")) {
                turns.clear();
                err.println("(a new conversation)");
                continue;
            }
            turns.add(ChatMessage.user(line));
            int[] prompt = fittedPrompt(m, turns, err);
            if (prompt == null) {
                turns.remove(turns.size() - 1);
                continue;
            }
            DenoisingView view = sampling.showSteps ? new DenoisingView(m.tokenizer(), sampling.json ? err : out, !sampling.json && terminal, sampling.length) : null;
            // without the canvas view, the answer is printed as it becomes final
            TextStream stream = view != null || sampling.json ? null : m.textStream(prompt, piece -> {
                out.print(piece);
                out.flush();
            });
            StepListener listener = view != null ? view : stream != null ? stream : StepListener.NONE;
            GenerateCommand.Generated g = GenerateCommand.generate(m, prompt, sampling, false, view != null ? view::start : row -> { },
                    listener, turn == 0 ? err::println : note -> { });
            GenerationResult r = g.result();
            int[] answer = r.answers()[0];
            String text = m.tokenizer().decode(answer);
            turns.add(ChatMessage.assistant(text));
            turn++;
            if (sampling.json) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("turn", (long) turn);
                j.put("user", line);
                j.put("text", text);
                j.put("prompt_tokens", (long) prompt.length);
                GenerateCommand.putMeasurements(j, r, answer, m);
                j.put("settings", g.settings());
                out.println(Json.write(j));
            } else {
                if (stream != null) stream.finish(answer);
                else out.print(text);
                out.println();
                if (terminal) out.println();
            }
            out.flush();
        }
        return 0;
    }

    /**
     * The conversation's prompt, its oldest exchanges dropped (with a note) until it and --length fit
     * the context; null, with a message, when even the last user turn alone does not fit.
     */
    private int[] fittedPrompt(LoadedModel m, List<ChatMessage> turns, PrintWriter err) {
        int context = m.config().contextLength();
        while (true) {
            List<ChatMessage> messages = new ArrayList<>();
            if (system != null) messages.add(ChatMessage.system(system));
            messages.addAll(turns);
            int[] prompt = m.encodeChat(messages);
            if ((long) prompt.length + sampling.length <= context) return prompt;
            if (turns.size() <= 1) {
                err.println("that message is " + prompt.length + " tokens in the template; with --length " + sampling.length
                        + " it needs more than the model's context of " + context + " positions: write less, or lower --length");
                return null;
            }
            turns.subList(0, 2).clear(); // the oldest user turn and its answer
            err.println("(the oldest exchange was dropped to fit the model's context of " + context + " positions)");
        }
    }

    private static String readLine(BufferedReader in) {
        try {
            return in.readLine();
        } catch (IOException e) {
            throw new UncheckedIOException("reading the conversation from standard input: " + e.getMessage(), e);
        }
    }
}
