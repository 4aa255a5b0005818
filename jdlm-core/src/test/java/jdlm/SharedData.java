package jdlm;

import java.nio.file.Files;
import java.nio.file.Path;

/** The development corpora at ../shared/data relative to the repository root, when present. */
public final class SharedData {
    private SharedData() {}

    /** The file, or null when this checkout has no shared data next to it. */
    public static Path file(String name) {
        // Tests run with the module directory (jdlm-core) as working directory.
        for (Path root : new Path[] {Path.of(".."), Path.of(".")}) {
            Path p = root.resolve("../shared/data").resolve(name).normalize();
            if (Files.isRegularFile(p)) return p;
        }
        return null;
    }
}
