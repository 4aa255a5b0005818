package jdlm.app;

import java.nio.file.Path;
import java.util.function.Consumer;

import picocli.CommandLine.Option;

/** The {@code --model} and {@code --ema} options every command that uses a trained model shares. */
final class ModelOptions {
    @Option(names = "--model", paramLabel = "RUN_DIR|FILE",
            description = "A run directory from ./jdlm train or its checkpoint.safetensors (default: models/default in the repository).")
    Path model;

    @Option(names = "--ema", description = "Use the EMA weights of the checkpoint when it has them.")
    boolean ema;

    LoadedModel open(Consumer<String> notes) {
        return LoadedModel.open(model, ema, notes);
    }
}
