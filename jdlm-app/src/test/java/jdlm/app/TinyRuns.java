package jdlm.app;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import jdlm.train.Checkpoint;

/**
 * Tiny models trained once per test JVM through {@code jdlm train} (a few steps: they are for
 * exercising the commands, not for quality), in a temporary directory removed at exit.
 */
final class TinyRuns {
    static final int CONTEXT = 64;
    static final int SEQ = 32;
    private static Path root;

    private TinyRuns() {}

    /** The training text: a few KB of repeated ASCII sentences. */
    static synchronized Path text() {
        Path t = root().resolve("text.txt");
        if (!Files.exists(t)) {
            String[] sentences = {"the cat sat on the mat. ", "a dog ran in the park. ", "she said hello to him. "};
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 150; i++) sb.append(sentences[(i * 7) % 3]);
            write(t, sb.toString());
        }
        return t;
    }

    /** A masked-diffusion (mdlm) run directory. */
    static synchronized Path masked() {
        return train("masked", "mdlm");
    }

    /** A causal (ar) run directory. */
    static synchronized Path causal() {
        return train("causal", "ar");
    }

    private static Path train(String name, String objective) {
        Path out = root().resolve(name);
        if (Files.exists(out.resolve(Checkpoint.FILE_NAME))) return out;
        CommandRun r = CommandRun.of("train", "--data", text().toString(), "--out", out.toString(), "--objective", objective,
                "--preset", "tiny", "--layers", "1", "--dim", "32", "--heads", "2", "--hidden", "64",
                "--context", String.valueOf(CONTEXT), "--seq", String.valueOf(SEQ), "--batch", "2", "--steps", "2",
                "--eval-every", "0", "--seed", "1");
        if (r.exit() != 0) throw new IllegalStateException("training the tiny " + name + " model failed: " + r.err());
        return out;
    }

    private static Path root() {
        if (root == null) {
            try {
                root = Files.createTempDirectory("jdlm-app-test");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Path dir = root;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir)));
        }
        return root;
    }

    static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // best effort: a temp directory left behind is harmless
        }
    }
}
