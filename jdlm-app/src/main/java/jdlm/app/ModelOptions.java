package jdlm.app;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import jdlm.LoadedModel;
import jdlm.train.Checkpoint;
import picocli.CommandLine.Option;

/** The {@code --model} and {@code --ema} options every command that uses a trained model shares. */
final class ModelOptions {
    static final String DEFAULT_MODEL = "models/default";

    @Option(names = "--model", paramLabel = "RUN_DIR|FILE",
            description = "A run directory from ./jdlm train (or its checkpoint.safetensors), a GGUF file (LLaDA, Dream, Llama) or a"
                    + " Hugging Face model directory (default: models/default in the repository).")
    Path model;

    @Option(names = "--ema", description = "Use the EMA weights of the checkpoint when it has them.")
    boolean ema;

    /** Opens --model, or the bundled model when it is not given. */
    LoadedModel open(Consumer<String> notes) {
        if (model != null && !Files.exists(model)) {
            throw new IllegalArgumentException("--model " + model + " does not exist; give a run directory (from ./jdlm train) or its "
                    + Checkpoint.FILE_NAME + ", a GGUF file or a Hugging Face model directory");
        }
        return LoadedModel.open(model != null ? model : bundledDefault(), ema, notes);
    }

    /** {@code models/default} under the repository root: beside the working directory, or above the jar. */
    static Path bundledDefault() {
        List<Path> roots = new ArrayList<>();
        roots.add(Path.of("").toAbsolutePath());
        try {
            // the jar is ROOT/jdlm-app/target/jdlm.jar; classes in tests are ROOT/jdlm-app/target/classes
            Path code = Path.of(ModelOptions.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path p = code.getParent(); p != null && roots.size() < 5; p = p.getParent()) roots.add(p);
        } catch (URISyntaxException | SecurityException | NullPointerException e) {
            // no code location: the working directory is all we can try
        }
        for (Path root : roots) {
            Path candidate = root.resolve(DEFAULT_MODEL);
            if (Files.exists(candidate)) return candidate;
        }
        throw new IllegalArgumentException("no --model given and no bundled model at " + DEFAULT_MODEL
                + "; train one with ./jdlm train --data TEXT --out runs/NAME ... or pass --model");
    }
}
