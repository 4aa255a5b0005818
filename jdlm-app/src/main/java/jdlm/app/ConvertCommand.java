package jdlm.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

import jdlm.LoadedModel;
import jdlm.format.Json;
import jdlm.format.gguf.GgufFile;
import jdlm.format.safetensors.DType;
import jdlm.model.ModelConfig;
import jdlm.model.Transformer;
import jdlm.model.interop.GgufExport;
import jdlm.model.interop.HuggingFaceExport;
import jdlm.tensor.QuantType;
import jdlm.tokenizer.Tokenizer;
import jdlm.tokenizer.TokenizerSpec;
import jdlm.tokenizer.Tokenizers;
import jdlm.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jdlm convert}: a weights-only copy of a jdlm model (the optimizer state is dropped) as a
 * jdlm checkpoint in another float type, as a GGUF file (any storage type, quantised ones
 * included; llama.cpp's {@code llada} / {@code llama} architectures), or as a Hugging Face
 * safetensors directory (LLaDA / Llama names).
 */
@Command(name = "convert", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write a weights-only copy of a jdlm model: a jdlm checkpoint, a GGUF file or a Hugging Face directory.",
                "GGUF takes f32, f16, bf16, q8_0, q4_0, q4_k, q6_k; the others f32, f16, bf16.",
                "Examples: ./jdlm convert runs/austen models/mine --type bf16",
                "          ./jdlm convert runs/austen austen-q8.gguf --type q8_0",
                "          ./jdlm convert runs/austen hf-austen --format hf --type bf16"})
final class ConvertCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IN", description = "Run directory or checkpoint.safetensors; or a GGUF file, re-stored as another GGUF.")
    Path in;
    @Parameters(index = "1", paramLabel = "OUT", description = "jdlm: a directory (gets checkpoint.safetensors) or a .safetensors file;"
            + " gguf: a .gguf file; hf: a directory.")
    Path out;
    @Option(names = "--format", paramLabel = "FORMAT", description = "jdlm, gguf or hf (default: gguf when OUT ends in .gguf, else jdlm).")
    String format;
    @Option(names = "--type", defaultValue = "bf16", description = "Storage type: f32, bf16, f16; GGUF also q8_0, q4_0, q4_k, q6_k (default: ${DEFAULT-VALUE}).")
    String type;
    @Option(names = "--ema", description = "Export the EMA weights instead of the trained ones.")
    boolean ema;
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        String fmt = format != null ? format.toLowerCase(Locale.ROOT) : out.toString().endsWith(".gguf") ? "gguf" : "jdlm";
        QuantType storage = storageType(fmt);
        if (Files.isRegularFile(in) && LoadedModel.isGguf(in)) return requantize(fmt, storage);
        if (LoadedModel.isHuggingFaceDirectory(in)) {
            throw new IllegalArgumentException(in + " is a Hugging Face model: run it directly (--model " + in + "), or make a GGUF of it"
                    + " with llama.cpp's convert_hf_to_gguf.py and re-store that with ./jdlm convert");
        }
        Checkpoint c = Checkpoint.load(LoadedModel.checkpointFile(in));
        float[] weights = c.parameters();
        if (ema) {
            if (c.ema() == null) throw new IllegalArgumentException("--ema: " + in + " has no EMA weights (train with --ema DECAY)");
            weights = c.ema();
        }
        if (!fmt.equals("jdlm") && c.training() != null && "uniform".equals(Json.parseObject(c.training(), 1 << 20).get("objective"))) {
            throw new IllegalArgumentException(in + " is a uniform-diffusion model: other runtimes would sample it as a masked one;"
                    + " keep it as a jdlm model (convert to a directory)");
        }
        switch (fmt) {
            case "jdlm" -> {
                Path target = out.toString().endsWith(".safetensors") ? out : out.resolve(Checkpoint.FILE_NAME);
                createParent(target);
                DType dtype = dtype(storage);
                new Checkpoint(c.config(), weights, c.tokenizer(), c.training(), null, null, null).save(target, dtype);
                report(target, dtype.name(), weights.length, Files.size(target));
            }
            case "gguf" -> {
                createParent(out);
                Tokenizer tok = Tokenizers.fromSpec(TokenizerSpec.fromJson(c.tokenizer()));
                Map<String, QuantType> stored = GgufExport.write(new Transformer(c.config(), weights), tok, storage, out);
                Map<QuantType, Integer> histogram = new TreeMap<>();
                for (QuantType q : stored.values()) histogram.merge(q, 1, Integer::sum);
                report(out, "GGUF " + GgufExport.architecture(c.config()) + ", tensors " + histogram, weights.length, Files.size(out));
            }
            default -> { // hf
                ModelConfig config = c.config();
                Tokenizer tok = Tokenizers.fromSpec(TokenizerSpec.fromJson(c.tokenizer()));
                Files.createDirectories(out);
                HuggingFaceExport.write(new Transformer(config, weights), tok, out, dtype(storage));
                report(out, "Hugging Face safetensors, " + storage, weights.length, Files.size(out.resolve("model.safetensors")));
            }
        }
        return 0;
    }

    /** A GGUF in, a GGUF out: matrices re-stored as the requested type, everything else copied. */
    private int requantize(String fmt, QuantType storage) throws IOException {
        if (!fmt.equals("gguf")) throw new IllegalArgumentException("a GGUF model converts to GGUF only; give an OUT ending in .gguf");
        if (ema) throw new IllegalArgumentException("--ema: a GGUF file holds one set of weights");
        createParent(out);
        try (GgufFile gguf = GgufFile.open(in)) {
            Map<String, Integer> histogram = new TreeMap<>();
            for (String t : GgufExport.requantize(gguf, storage, out).values()) histogram.merge(t, 1, Integer::sum);
            long params = 0;
            for (var t : gguf.tensors().values()) params += t.elements();
            spec.commandLine().getErr().printf(Locale.ROOT, "wrote %s (GGUF, tensors %s, %,d parameters, %.1f MB)%n", out, histogram, params, Files.size(out) / 1e6);
        }
        return 0;
    }

    private QuantType storageType(String fmt) {
        if (!fmt.equals("jdlm") && !fmt.equals("gguf") && !fmt.equals("hf")) {
            throw new IllegalArgumentException("--format " + format + " is not supported; expected jdlm, gguf or hf");
        }
        QuantType q = switch (type.toLowerCase(Locale.ROOT)) {
            case "f32" -> QuantType.F32;
            case "bf16" -> QuantType.BF16;
            case "f16" -> QuantType.F16;
            case "q8_0" -> QuantType.Q8_0;
            case "q4_0" -> QuantType.Q4_0;
            case "q4_k" -> QuantType.Q4_K;
            case "q6_k" -> QuantType.Q6_K;
            default -> throw new IllegalArgumentException("--type " + type + " is not supported; expected f32, bf16, f16, q8_0, q4_0, q4_k or q6_k");
        };
        if (q.isQuantized() && !fmt.equals("gguf")) {
            throw new IllegalArgumentException("--type " + type + " is a GGUF block type; write a GGUF file (an OUT ending in .gguf, or --format gguf)");
        }
        return q;
    }

    private static DType dtype(QuantType q) {
        return switch (q) {
            case F32 -> DType.F32;
            case F16 -> DType.F16;
            default -> DType.BF16;
        };
    }

    private static void createParent(Path target) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
    }

    private void report(Path target, String what, int parameters, long bytes) {
        spec.commandLine().getErr().printf(Locale.ROOT, "wrote %s (%s, %,d parameters, %.1f MB)%n", target, what, parameters, bytes / 1e6);
    }
}
