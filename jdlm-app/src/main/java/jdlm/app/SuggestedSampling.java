package jdlm.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import jdlm.LoadedModel;
import jdlm.format.FormatException;
import jdlm.format.Json;
import jdlm.train.Checkpoint;

/**
 * The sampling settings a jdlm model directory suggests in its {@code sampling.json}, as a Hugging
 * Face model's generation_config.json does: what {@code generate} and {@code infill} use where the
 * command line says nothing. A small model can write like its corpus when sampled with some
 * temperature in short blocks, and only repeat its commonest words when decoded greedily in one
 * block; the file lets it say so. Keys (all optional): {@code block}, {@code policy},
 * {@code temperature}, {@code top_k}, {@code top_p}.
 */
record SuggestedSampling(Path file, Integer block, String policy, Double temperature, Integer topK, Double topP) {
    static final String FILE = "sampling.json";
    static final SuggestedSampling NONE = new SuggestedSampling(null, null, null, null, null, null);
    private static final Set<String> KEYS = Set.of("block", "policy", "temperature", "top_k", "top_p");

    /** The suggestions beside a jdlm checkpoint (not a GGUF file or a Hugging Face directory), or NONE. */
    static SuggestedSampling of(LoadedModel m) {
        Path f = m.file();
        if (!f.getFileName().toString().equals(Checkpoint.FILE_NAME) || f.getParent() == null) return NONE;
        Path file = f.getParent().resolve(FILE);
        return Files.isRegularFile(file) ? read(file) : NONE;
    }

    static SuggestedSampling read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("could not read " + file, e);
        }
        Map<String, Object> m;
        try {
            m = Json.parseObject(text, 1 << 16);
        } catch (RuntimeException e) {
            throw new FormatException(file, "(the whole file)", "a JSON object", e.getMessage());
        }
        for (String key : m.keySet()) {
            if (!KEYS.contains(key)) throw new FormatException(file, key, "one of " + String.join(", ", KEYS.stream().sorted().toList()), "an unknown key");
        }
        Integer block = integer(file, m, "block", 1);
        Integer topK = integer(file, m, "top_k", 0);
        Double temperature = number(file, m, "temperature", 0, Double.MAX_VALUE, "a number ≥ 0");
        Double topP = number(file, m, "top_p", Double.MIN_VALUE, 1, "a number in (0, 1]");
        Object policy = m.get("policy");
        if (policy != null && !(policy instanceof String)) throw new FormatException(file, "policy", "a string", Json.typeName(policy));
        return new SuggestedSampling(file, block, (String) policy, temperature, topK, topP);
    }

    private static Integer integer(Path file, Map<String, Object> m, String key, int min) {
        Object v = m.get(key);
        if (v == null) return null;
        if (!(v instanceof Long n) || n < min || n > Integer.MAX_VALUE) {
            throw new FormatException(file, key, "an integer ≥ " + min, v instanceof Number ? v.toString() : Json.typeName(v));
        }
        return (int) (long) n;
    }

    private static Double number(Path file, Map<String, Object> m, String key, double min, double max, String expected) {
        Object v = m.get(key);
        if (v == null) return null;
        double d = v instanceof Number n ? n.doubleValue() : Double.NaN;
        if (!(d >= min && d <= max)) {
            throw new FormatException(file, key, expected, v instanceof Number ? v.toString() : Json.typeName(v));
        }
        return d;
    }
}
