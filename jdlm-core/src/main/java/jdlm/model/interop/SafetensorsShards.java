package jdlm.model.interop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jdlm.format.FormatException;
import jdlm.format.Json;
import jdlm.format.JsonException;
import jdlm.format.safetensors.SafetensorsFile;
import jdlm.tensor.WeightTensor;

/**
 * The weights of a Hugging Face model directory: one {@code model.safetensors}, or shards named by
 * {@code model.safetensors.index.json}'s {@code weight_map}. Every shard is memory-mapped once and
 * stays open until {@link #close}. The index is checked before it is trusted: shard names stay
 * inside the directory, every shard exists, and every tensor the index names is in its shard.
 */
final class SafetensorsShards implements AutoCloseable {
    static final String SINGLE = "model.safetensors";
    static final String INDEX = "model.safetensors.index.json";
    private static final int MAX_INDEX_CHARS = 64 << 20;

    private final Path dir;
    private final Map<String, SafetensorsFile> shardOf;   // tensor name → the file holding it
    private final List<SafetensorsFile> files;

    private SafetensorsShards(Path dir, Map<String, SafetensorsFile> shardOf, List<SafetensorsFile> files) {
        this.dir = dir;
        this.shardOf = shardOf;
        this.files = files;
    }

    static SafetensorsShards open(Path directory) {
        Path dir = directory.toAbsolutePath().normalize();
        Path index = dir.resolve(INDEX), single = dir.resolve(SINGLE);
        List<SafetensorsFile> opened = new ArrayList<>();
        try {
            Map<String, SafetensorsFile> shardOf = new LinkedHashMap<>();
            if (Files.isRegularFile(index)) {
                Map<String, SafetensorsFile> byShard = new LinkedHashMap<>();
                for (Map.Entry<String, String> e : weightMap(index).entrySet()) {
                    SafetensorsFile f = byShard.get(e.getValue());
                    if (f == null) {
                        f = SafetensorsFile.open(shardPath(dir, index, e.getKey(), e.getValue()));
                        opened.add(f);
                        byShard.put(e.getValue(), f);
                    }
                    if (!f.tensors().containsKey(e.getKey())) {
                        throw new FormatException(index, "weight_map." + e.getKey(), "a tensor present in " + e.getValue(), "no such tensor in that shard");
                    }
                    shardOf.put(e.getKey(), f);
                }
            } else if (Files.isRegularFile(single)) {
                SafetensorsFile f = SafetensorsFile.open(single);
                opened.add(f);
                for (String name : f.tensors().keySet()) shardOf.put(name, f);
            } else {
                throw new FormatException(dir, "weights", SINGLE + " or " + INDEX, "neither");
            }
            return new SafetensorsShards(dir, shardOf, opened);
        } catch (RuntimeException e) {
            opened.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private static Map<String, String> weightMap(Path index) {
        Map<String, Object> root;
        try {
            if (Files.size(index) > MAX_INDEX_CHARS) throw new FormatException(index, "size", "at most " + MAX_INDEX_CHARS + " bytes", Files.size(index) + " bytes");
            root = Json.parseObject(Files.readString(index), MAX_INDEX_CHARS);
        } catch (IOException e) {
            throw new FormatException(index, "cannot read the file: " + e.getMessage(), e);
        } catch (JsonException e) {
            throw new FormatException(index, "malformed JSON: " + e.getMessage(), e);
        }
        if (!(root.get("weight_map") instanceof Map<?, ?> m) || m.isEmpty()) {
            throw new FormatException(index, "weight_map", "a non-empty object of tensor name → shard file", String.valueOf(root.get("weight_map")));
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getValue() instanceof String shard)) {
                throw new FormatException(index, "weight_map." + e.getKey(), "a shard file name", String.valueOf(e.getValue()));
            }
            out.put((String) e.getKey(), shard);
        }
        return out;
    }

    /** The shard's path; a name that is not a plain file inside the directory is refused (no ../, no absolute paths). */
    private static Path shardPath(Path dir, Path index, String tensor, String shard) {
        Path p = dir.resolve(shard).normalize();
        if (shard.isEmpty() || !dir.equals(p.getParent()) || !p.getFileName().toString().equals(shard)) {
            throw new FormatException(index, "weight_map." + tensor, "a file name inside " + dir, shard);
        }
        if (!Files.isRegularFile(p)) throw new FormatException(index, "weight_map." + tensor, "an existing shard file", shard + " (missing)");
        return p;
    }

    boolean contains(String name) { return shardOf.containsKey(name); }

    /** The tensor, mapped in place; a missing one is an error naming it. */
    WeightTensor tensor(String name) {
        SafetensorsFile f = shardOf.get(name);
        if (f == null) throw new FormatException(dir, "tensor " + name, "present in the model's safetensors files", "missing");
        return f.weight(name);
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
