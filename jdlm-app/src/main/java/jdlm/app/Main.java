package jdlm.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code jdlm} command line: one subcommand per job. */
@Command(name = "jdlm",
        mixinStandardHelpOptions = true,
        version = "jdlm 0.1.0",
        description = "Discrete diffusion language models in pure Java: train, evaluate, sample, serve.",
        subcommands = {TrainCommand.class, GenerateCommand.class, ChatCommand.class, InfillCommand.class, ServeCommand.class, EvalCommand.class, ConvertCommand.class, InspectCommand.class,
                BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line with its error handling, for main and for tests (which redirect its out/err). */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        // Bad input (options, files, settings) is the user's to fix: one clear line, no stack trace.
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof IllegalArgumentException || e instanceof IllegalStateException
                    || e instanceof jdlm.format.FormatException || e instanceof java.io.IOException
                    || e instanceof java.io.UncheckedIOException) {
                commandLine.getErr().println("jdlm " + commandLine.getCommandName() + ": " + e.getMessage());
                return 2;
            }
            throw e;
        });
        return cli;
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
