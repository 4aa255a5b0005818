package jdlm.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code jdlm} command line: one subcommand per job. */
@Command(name = "jdlm",
        mixinStandardHelpOptions = true,
        version = "jdlm 0.1.0",
        description = "Discrete diffusion language models in pure Java: train, evaluate, sample, serve.",
        subcommands = {BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        int code = new CommandLine(new Main()).execute(args);
        System.exit(code);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
