package jdlm.app;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import jdlm.format.Json;
import jdlm.sample.Canvas;
import jdlm.sample.DiffusionSampler;
import jdlm.sample.GenerationResult;
import jdlm.sample.SamplerOptions;
import jdlm.sample.SpecialTokens;
import jdlm.sample.StepListener;
import jdlm.sample.TransformerDenoiser;
import jdlm.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code jdlm infill}: fill the middle between a given prefix and suffix. Only a masked-diffusion
 * model can: it sees both sides at once, where a causal model sees only the left.
 */
@Command(name = "infill", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fill in the middle: [prefix | MASK × length | suffix] denoised by a masked-diffusion model.",
                "Prints prefix + middle + suffix (the middle highlighted on a terminal).",
                "Example: ./jdlm infill --model runs/austen --prefix \"It is a truth \" --suffix \" acknowledged.\" --length 24"})
final class InfillCommand implements Callable<Integer> {
    @Mixin ModelOptions modelOptions;
    @Option(names = "--prefix", defaultValue = "", paramLabel = "TEXT", description = "Text before the gap (default: empty).")
    String prefix;
    @Option(names = "--suffix", defaultValue = "", paramLabel = "TEXT", description = "Text after the gap (default: empty).")
    String suffix;
    @Mixin SamplingOptions sampling;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        LoadedModel m = modelOptions.open(err::println);
        if (m.causal()) {
            throw new IllegalArgumentException("--model " + m.file() + " is a causal (autoregressive) model; infilling needs a"
                    + " masked-diffusion model, which sees the suffix too");
        }
        if (m.config().blockCausal()) {
            throw new IllegalArgumentException("--model " + m.file() + " is a block-diffusion model: a block sees only the text before it,"
                    + " never a suffix; infilling needs a masked-diffusion model (mdlm, sedd, llada)");
        }
        sampling.suggest(SuggestedSampling.of(m), false, err::println);
        Tokenizer tok = m.tokenizer();
        int[] pre = m.encodePrompt(prefix), suf = tok.encode(suffix);
        int n = sampling.length;
        if (n < 1) throw new IllegalArgumentException("--length must be at least 1, got " + n);
        int context = m.config().contextLength();
        if ((long) pre.length + n + suf.length > context) {
            throw new IllegalArgumentException("--prefix (" + pre.length + " tokens) + --length " + n + " + --suffix (" + suf.length
                    + " tokens) needs " + ((long) pre.length + n + suf.length) + " positions, more than the model's context length " + context);
        }
        int[] row = new int[pre.length + n + suf.length];
        System.arraycopy(pre, 0, row, 0, pre.length);
        Arrays.fill(row, pre.length, pre.length + n, tok.maskId());
        System.arraycopy(suf, 0, row, pre.length + n, suf.length);

        Canvas canvas = Canvas.infill(new int[][] {row}, tok.maskId());
        boolean terminal = Terminal.interactive();
        DenoisingView view = sampling.showSteps ? new DenoisingView(tok, sampling.json ? err : out, !sampling.json && terminal, n) : null;
        if (view != null) view.start(canvas.row(0));
        GenerationResult r;
        Map<String, Object> settings;
        if (m.uniform()) {
            r = sampling.uniform(m, canvas, view != null ? view : StepListener.NONE);
            settings = sampling.uniformSettings();
        } else {
            // The middle sits between given text: an EOS there would end nothing, so it is never chosen.
            SamplerOptions o = sampling.diffusion(m.schedule(), 0).withEos(true, false, false, false);
            r = new DiffusionSampler(new TransformerDenoiser(m.model()), new SpecialTokens(tok.maskId(), tok.eosId(), tok.padId()))
                    .generate(canvas, o, view != null ? view : StepListener.NONE);
            settings = sampling.diffusionSettings(o);
        }
        int[] middle = r.answers()[0];
        // Read all three parts back from the final canvas, so what is shown is what the sampler kept.
        int[] done = r.canvases()[0];
        String before = tok.decode(done, 0, pre.length), middleText = tok.decode(done, pre.length, pre.length + n),
                after = tok.decode(done, pre.length + n, done.length);

        if (sampling.json) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("text", before + middleText + after);
            j.put("prefix", before);
            j.put("middle", middleText);
            j.put("suffix", after);
            GenerateCommand.putMeasurements(j, r, middle, m);
            j.put("settings", settings);
            out.println(Json.write(j));
        } else if (terminal) {
            out.println(before + Terminal.BOLD_GREEN + middleText + Terminal.RESET + after);
        } else {
            out.println(before + middleText + after);
        }
        out.flush();
        return 0;
    }
}
