package jdlm.app;

import picocli.CommandLine.Command;

/** {@code jdlm bench ...}: benchmarks that report ratios against a reference measured in the same run. */
@Command(name = "bench",
        mixinStandardHelpOptions = true,
        description = "Benchmarks with side-by-side references: kernels, generation (diffusion vs AR), training (vs PyTorch), GGUF open, denoising step of imported models.",
        subcommands = {BenchKernelsCommand.class, BenchGenerateCommand.class, BenchTrainCommand.class, BenchOpenCommand.class, BenchDenoiseCommand.class})
public final class BenchCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }
}
