package jdlm.app;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import jdlm.format.FormatException;
import jdlm.format.Json;
import jdlm.format.gguf.GgufArray;
import jdlm.format.gguf.GgufFile;
import jdlm.format.gguf.GgufMetadata;
import jdlm.format.gguf.GgufTensorInfo;
import jdlm.format.gguf.GgufValueType;
import jdlm.format.safetensors.SafetensorsFile;
import jdlm.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jdlm inspect}: what a model file or directory holds, without loading its weights: format,
 * architecture, parameter count, size, a histogram of tensor types, the tensor table and the
 * metadata (long arrays and strings abbreviated). Reads GGUF, safetensors, Hugging Face model
 * directories (sharded with {@code model.safetensors.index.json}, or {@code *.safetensors}) and
 * jdlm run directories.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Show what a model holds: format, architecture, parameters, tensor types, tensors and metadata.",
                "PATH is a .gguf or .safetensors file, a Hugging Face model directory or a jdlm run directory.",
                "Example: ./jdlm inspect models/default"})
final class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "PATH", description = "Model file or directory.")
    Path path;
    @Option(names = "--json", description = "Print one JSON object instead of the tables.")
    boolean json;
    @Spec CommandSpec spec;

    /** Arrays longer than this and strings longer than {@link #LONG_STRING} are shown abbreviated. */
    static final int SHORT_ARRAY = 16;
    static final int LONG_STRING = 160;
    /** Refuse index / config JSON files larger than this (real ones are kilobytes to a few MB). */
    private static final int MAX_JSON_CHARS = 64 << 20;

    record TensorRow(String name, String type, long[] shape, long bytes) {}

    /** What is shown, whatever the format. {@code parameters} counts model weights only (not optimizer state). */
    record Summary(String format, String architecture, List<Path> files, long bytes, long parameters, List<TensorRow> tensors,
                   Map<String, Object> metadata, Map<String, Object> config) {}

    @Override
    public Integer call() throws IOException {
        Summary s = summarize(path);
        PrintWriter out = spec.commandLine().getOut();
        if (json) out.println(Json.writePretty(toJson(s)));
        else print(s, out);
        out.flush();
        return 0;
    }

    static Summary summarize(Path path) throws IOException {
        if (!Files.exists(path)) throw new IllegalArgumentException(path + " does not exist");
        if (Files.isDirectory(path)) return directory(path);
        if (startsWithGguf(path)) return gguf(path);
        try {
            return safetensors("safetensors", List.of(path), null);
        } catch (FormatException e) {
            throw new IllegalArgumentException(path + " is neither a GGUF file (it does not start with \"GGUF\") nor a readable safetensors file: "
                    + e.getMessage(), e);
        }
    }

    private static Summary directory(Path dir) throws IOException {
        Map<String, Object> config = Files.isRegularFile(dir.resolve("config.json")) ? readJson(dir.resolve("config.json")) : null;
        Path checkpoint = dir.resolve(Checkpoint.FILE_NAME);
        if (Files.isRegularFile(checkpoint)) return safetensors("jdlm run", List.of(checkpoint), config);
        Path index = dir.resolve("model.safetensors.index.json");
        if (Files.isRegularFile(index)) {
            if (!(readJson(index).get("weight_map") instanceof Map<?, ?> weightMap)) {
                throw new FormatException(index, "weight_map", "an object of tensor name → shard file", "nothing usable");
            }
            Set<Path> shards = new LinkedHashSet<>();
            for (Object file : weightMap.values()) {
                Path shard = dir.resolve(String.valueOf(file));
                if (!Files.isRegularFile(shard)) throw new FormatException(index, "weight_map", "shard files that exist", shard + " is missing");
                shards.add(shard);
            }
            return safetensors("safetensors (" + shards.size() + " shards)", List.copyOf(shards), config);
        }
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException(dir + " is a directory without " + Checkpoint.FILE_NAME + " (a jdlm run), model.safetensors.index.json"
                    + " or *.safetensors (a Hugging Face model); give one of those or a .gguf / .safetensors file");
        }
        return safetensors(files.size() == 1 ? "safetensors" : "safetensors (" + files.size() + " files)", files, config);
    }

    private static Summary gguf(Path file) {
        try (GgufFile f = GgufFile.open(file)) {
            GgufMetadata m = f.metadata();
            List<TensorRow> rows = new ArrayList<>();
            long parameters = 0;
            for (GgufTensorInfo t : f.tensors().values()) {
                rows.add(new TensorRow(t.name(), t.type().name(), t.shape(), t.byteSize()));
                parameters += t.elements();
            }
            Map<String, Object> meta = new LinkedHashMap<>();
            for (Map.Entry<String, Object> e : m.asMap().entrySet()) meta.put(e.getKey(), display(e.getValue(), m.type(e.getKey())));
            return new Summary("GGUF v" + f.version(), m.getString("general.architecture", "(general.architecture not set)"), List.of(file),
                    f.fileSize(), parameters, rows, meta, null);
        }
    }

    private static Summary safetensors(String format, List<Path> files, Map<String, Object> config) throws IOException {
        List<TensorRow> rows = new ArrayList<>();
        Map<String, Object> meta = new LinkedHashMap<>();
        long bytes = 0, parameters = 0;
        for (Path file : files) {
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                f.metadata().forEach(meta::putIfAbsent);
                boolean jdlm = "jdlm-checkpoint-1".equals(f.metadata().get("format"));
                for (SafetensorsFile.TensorInfo t : f.tensors().values()) {
                    rows.add(new TensorRow(t.name(), t.dtype().name(), t.shape(), t.byteSize()));
                    boolean trainingState = jdlm && (t.name().startsWith("optimizer.") || t.name().equals("ema"));
                    if (!trainingState) parameters += t.elements();
                }
            }
            bytes += Files.size(file);
        }
        String architecture = architecture(meta, config);
        meta.replaceAll((k, v) -> abbreviate((String) v));
        return new Summary(format, architecture, files, bytes, parameters, rows, meta, config);
    }

    /** From a Hugging Face config.json (architectures, model_type) or a jdlm checkpoint's config. */
    private static String architecture(Map<String, Object> meta, Map<String, Object> config) {
        if (config != null && config.get("architectures") instanceof List<?> l && !l.isEmpty()) return String.valueOf(l.getFirst());
        if (config != null && config.get("model_type") instanceof String t) return t;
        if (meta.get("jdlm.config") instanceof String c) {
            try {
                return "jdlm (" + Json.parseObject(c, 1 << 16).getOrDefault("attention", "?") + " attention)";
            } catch (RuntimeException unreadable) {
                return "jdlm";
            }
        }
        return "(not recorded)";
    }

    /** A metadata value as shown: long arrays as "[151936 strings]", long strings cut, uint64 unsigned. */
    static Object display(Object value, GgufValueType type) {
        if (value instanceof GgufArray a) {
            if (a.size() > SHORT_ARRAY) {
                return "[" + a.size() + " " + (a.elementType() == GgufValueType.STRING ? "strings" : a.elementType().name().toLowerCase(Locale.ROOT)) + "]";
            }
            List<Object> shown = new ArrayList<>();
            for (Object o : a) shown.add(display(o, a.elementType()));
            return shown;
        }
        if (value instanceof String s) return abbreviate(s);
        if (type == GgufValueType.UINT64 && value instanceof Long l && l < 0) return Long.toUnsignedString(l);
        if (value instanceof Double d && !Double.isFinite(d)) return d.toString(); // JSON has no NaN or infinity
        return value;
    }

    private static String abbreviate(String s) {
        return s.length() <= LONG_STRING ? s : s.substring(0, 80) + "… (" + s.length() + " chars)";
    }

    private static Map<String, Object> readJson(Path file) throws IOException {
        if (Files.size(file) > MAX_JSON_CHARS) throw new FormatException(file, "size", "at most " + MAX_JSON_CHARS + " bytes of JSON", Files.size(file) + " bytes");
        try {
            return Json.parseObject(Files.readString(file, StandardCharsets.UTF_8), MAX_JSON_CHARS);
        } catch (RuntimeException e) {
            throw new FormatException(file, "not valid JSON: " + e.getMessage(), e);
        }
    }

    private static boolean startsWithGguf(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return Arrays.equals(in.readNBytes(4), "GGUF".getBytes(StandardCharsets.US_ASCII));
        }
    }

    /** Tensor count and bytes per type, most bytes first. */
    private static Map<String, long[]> types(Summary s) {
        Map<String, long[]> byType = new LinkedHashMap<>();
        for (TensorRow t : s.tensors()) {
            long[] c = byType.computeIfAbsent(t.type(), k -> new long[2]);
            c[0]++;
            c[1] += t.bytes();
        }
        Map<String, long[]> sorted = new LinkedHashMap<>();
        byType.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1])).forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }

    private static Map<String, Object> toJson(Summary s) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("format", s.format());
        j.put("architecture", s.architecture());
        j.put("files", s.files().stream().map(Path::toString).toList());
        j.put("bytes", s.bytes());
        j.put("tensor_count", (long) s.tensors().size());
        j.put("parameters", s.parameters());
        Map<String, Object> types = new LinkedHashMap<>();
        types(s).forEach((type, c) -> types.put(type, Map.of("tensors", c[0], "bytes", c[1])));
        j.put("types", types);
        List<Object> tensors = new ArrayList<>();
        for (TensorRow t : s.tensors()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", t.name());
            row.put("type", t.type());
            row.put("shape", Arrays.stream(t.shape()).boxed().toList());
            row.put("bytes", t.bytes());
            tensors.add(row);
        }
        j.put("tensors", tensors);
        j.put("metadata", s.metadata());
        if (s.config() != null) j.put("config", s.config());
        return j;
    }

    private static void print(Summary s, PrintWriter out) {
        out.printf(Locale.ROOT, "%s: %s, architecture %s%n", s.files().size() == 1 ? s.files().getFirst() : s.files().getFirst().getParent(),
                s.format(), s.architecture());
        out.printf(Locale.ROOT, "  tensors     %,d%n  parameters  %,d%n  size        %,d bytes (%.2f GB)%n", s.tensors().size(), s.parameters(),
                s.bytes(), s.bytes() / 1e9);
        out.println("types:");
        types(s).forEach((type, c) -> out.printf(Locale.ROOT, "  %-8s %6d tensors %,18d bytes%n", type, c[0], c[1]));
        int nameWidth = Math.max(4, s.tensors().stream().mapToInt(t -> t.name().length()).max().orElse(0));
        out.println("tensors (shape outermost first):");
        out.printf(Locale.ROOT, "  %-" + nameWidth + "s  %-6s %-22s %16s%n", "name", "type", "shape", "bytes");
        for (TensorRow t : s.tensors()) {
            out.printf(Locale.ROOT, "  %-" + nameWidth + "s  %-6s %-22s %,16d%n", t.name(), t.type(), Arrays.toString(t.shape()), t.bytes());
        }
        out.println("metadata:");
        s.metadata().forEach((k, v) -> out.println("  " + k + " = " + v));
        if (s.config() != null) {
            out.println("config.json:");
            out.println(Json.writePretty(s.config()).indent(2).stripTrailing());
        }
    }
}
