package jdlm.app;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import jdlm.LoadedModel;
import jdlm.format.Json;
import jdlm.sample.GenerationResult;
import jdlm.sample.SamplerOptions;
import jdlm.sample.StepListener;
import jdlm.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
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
        sampling.suggest(SuggestedSampling.of(m), false, err::println);
        Tokenizer tok = m.tokenizer();
        int[] pre = m.encodePrompt(prefix), suf = tok.encode(suffix);
        int n = sampling.length;
        boolean terminal = Terminal.interactive();
        DenoisingView view = sampling.showSteps ? new DenoisingView(tok, sampling.json ? err : out, !sampling.json && terminal, n) : null;
        SamplerOptions o;
        Map<String, Object> settings;
        if (m.uniform()) {
            o = sampling.uniformOptions();
            settings = sampling.uniformSettings();
        } else {
            o = sampling.diffusion(m.schedule(), 0);
            settings = sampling.diffusionSettings(o);
        }
        StepListener listener = view != null ? view : new GenerationProgress(sampling.plannedSteps(false), "denoising", GenerationProgress.QUIET_SECONDS);
        GenerationResult r = m.infill(pre, n, suf, o, view != null ? view::start : row -> { }, listener);
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
