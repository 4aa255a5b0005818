package jdlm.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import jdlm.format.safetensors.DType;
import jdlm.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Parameters;

/**
 * {@code jdlm convert}: a weights-only copy of a jdlm checkpoint in another storage type (the
 * optimizer state is dropped), e.g. bf16 for shipping a model at half the size.
 */
@Command(name = "convert", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write a weights-only copy of a jdlm model (run directory or checkpoint) in f32, bf16 or f16.",
                "Example: ./jdlm convert runs/austen models/mine --type bf16"})
final class ConvertCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IN", description = "Run directory or checkpoint.safetensors.")
    Path in;
    @Parameters(index = "1", paramLabel = "OUT", description = "Output directory (gets checkpoint.safetensors) or a .safetensors file.")
    Path out;
    @Option(names = "--type", defaultValue = "bf16", description = "Storage type: f32, bf16 or f16 (default: ${DEFAULT-VALUE}).")
    String type;
    @Option(names = "--ema", description = "Export the EMA weights instead of the trained ones.")
    boolean ema;
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        DType dtype = switch (type.toLowerCase(Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "bf16" -> DType.BF16;
            case "f16" -> DType.F16;
            default -> throw new IllegalArgumentException("--type " + type + " is not supported; expected f32, bf16 or f16 (quantized GGUF types come with GGUF export)");
        };
        Checkpoint c = Checkpoint.load(LoadedModel.checkpointFile(in));
        float[] weights = c.parameters();
        if (ema) {
            if (c.ema() == null) throw new IllegalArgumentException("--ema: " + in + " has no EMA weights (train with --ema DECAY)");
            weights = c.ema();
        }
        Path target = out.toString().endsWith(".safetensors") ? out : out.resolve(TrainCommand.CHECKPOINT);
        Files.createDirectories(target.toAbsolutePath().getParent());
        new Checkpoint(c.config(), weights, c.tokenizer(), c.training(), null, null, null).save(target, dtype);
        spec.commandLine().getErr().printf(Locale.ROOT, "wrote %s (%s, %,d parameters, %.1f MB)%n", target, dtype, weights.length, Files.size(target) / 1e6);
        return 0;
    }
}
