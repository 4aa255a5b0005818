package jdlm.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

import jdlm.format.Json;
import jdlm.format.gguf.GgmlType;
import jdlm.format.gguf.GgufArray;
import jdlm.format.gguf.GgufFile;
import jdlm.format.gguf.GgufMetadata;
import jdlm.format.gguf.GgufValueType;
import jdlm.format.gguf.GgufWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jdlm bench open}: what opening a big GGUF costs. Writes a LLaDA-shaped Q8_0 GGUF of the
 * requested size (streamed: never in the heap), then measures the time to open it next to the time
 * to just read its header bytes, and the resident memory (VmRSS) before opening, after opening and
 * after reading one tensor: a memory-mapped open should cost about the header, and only the
 * tensors touched should become resident. The file is deleted afterwards.
 */
@Command(name = "open", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Time and resident memory of opening a generated LLaDA-shaped Q8_0 GGUF (memory-mapped).",
                "Example: ./jdlm bench open --size 3G --dir /tmp"})
public final class BenchOpenCommand implements Callable<Integer> {
    @Option(names = "--size", defaultValue = "3G", description = "File size, with K, M or G (binary units) (default: ${DEFAULT-VALUE}).")
    String size;
    @Option(names = "--dir", description = "Where to write the temporary file (default: java.io.tmpdir).")
    Path dir;
    @Option(names = "--json", description = "Print one JSON object instead of the table.")
    boolean json;
    @Spec CommandSpec spec;

    private static final int VOCAB = 126464; // LLaDA's
    private static final int OPENS = 5;
    private static volatile long sink;

    /** A LLaDA-like layout: model width and layer count (vocabulary as LLaDA's, SwiGLU hidden 3 × width). */
    record Layout(int dim, int layers) {
        int hidden() { return 3 * dim; }

        long bytes() {
            long perLayer = 4L * dim * dim + 3L * dim * hidden();
            return q8Bytes(2L * VOCAB * dim + layers * perLayer) + 4L * dim * (2L * layers + 1);
        }
    }

    @Override
    public Integer call() throws IOException {
        long target = parseSize(size);
        Layout layout = layout(target);
        Path base = dir != null ? dir : Path.of(System.getProperty("java.io.tmpdir"));
        Files.createDirectories(base);
        long free = Files.getFileStore(base).getUsableSpace();
        if (free < layout.bytes() + (256L << 20)) {
            throw new IllegalArgumentException("--dir " + base + " has " + free / (1 << 20) + " MB free; the file needs " + layout.bytes() / (1 << 20) + " MB");
        }
        Path tmpDir = Files.createTempDirectory(base, "jdlm-bench-open");
        Path file = tmpDir.resolve("llada-q8_0.gguf");
        try {
            note(String.format(Locale.ROOT, "writing a %.2f GB Q8_0 GGUF (dim %d, %d layers) to %s", layout.bytes() / 1e9, layout.dim(), layout.layers(), file));
            long t0 = System.nanoTime();
            write(file, layout);
            double writeSeconds = (System.nanoTime() - t0) / 1e9;
            note("measuring");
            Map<String, Object> r = measure(file);
            r.put("write_seconds", writeSeconds);
            r.put("dim", (long) layout.dim());
            r.put("layers", (long) layout.layers());
            report(r);
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(tmpDir);
        }
        return 0;
    }

    private Map<String, Object> measure(Path file) throws IOException {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("file_bytes", Files.size(file));
        String tensor = "blk.0.ffn_down.weight";
        long rssBefore = rss();
        long t0 = System.nanoTime();
        long headerBytes, tensorBytes, rssOpen, rssRead;
        double firstOpen, read;
        try (GgufFile f = GgufFile.open(file)) {
            firstOpen = (System.nanoTime() - t0) / 1e9;
            rssOpen = rss();
            headerBytes = f.dataStart();
            MemorySegment s = f.segment(tensor);
            tensorBytes = s.byteSize();
            long t1 = System.nanoTime();
            long sum = 0;
            for (long i = 0; i < tensorBytes; i += 8) sum += s.get(ValueLayout.JAVA_LONG_UNALIGNED, i); // Q8_0 tensors are whole 8-byte words
            read = (System.nanoTime() - t1) / 1e9;
            rssRead = rss();
            sink = sum; // keeps the reads alive
        }
        double bestOpen = firstOpen, bestHeader = Double.MAX_VALUE;
        for (int i = 1; i < OPENS; i++) {
            long t = System.nanoTime();
            try (GgufFile f = GgufFile.open(file)) {
                bestOpen = Math.min(bestOpen, (System.nanoTime() - t) / 1e9); // closing (unmapping) is not opening
            }
        }
        for (int i = 0; i < OPENS; i++) { // the reference: read the header bytes, parse nothing
            long t = System.nanoTime();
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                ByteBuffer b = ByteBuffer.allocate((int) headerBytes);
                while (b.hasRemaining() && ch.read(b) >= 0) { /* fill */ }
            }
            bestHeader = Math.min(bestHeader, (System.nanoTime() - t) / 1e9);
        }
        r.put("header_bytes", headerBytes);
        r.put("open_seconds_first", firstOpen);
        r.put("open_seconds_best", bestOpen);
        r.put("read_header_seconds_best", bestHeader);
        r.put("open_vs_read_header", bestOpen / bestHeader);
        r.put("rss_before_open", rssBefore);
        r.put("rss_after_open", rssOpen);
        r.put("rss_after_read_tensor", rssRead);
        r.put("tensor_read", tensor);
        r.put("tensor_bytes", tensorBytes);
        r.put("tensor_read_seconds", read);
        return r;
    }

    private void report(Map<String, Object> r) {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.write(r));
            out.flush();
            return;
        }
        double mb = 1 << 20;
        out.printf(Locale.ROOT, "jdlm bench open  (GGUF %.2f GB, dim %d, %d layers, Q8_0; written in %.1f s)%n",
                ((Number) r.get("file_bytes")).longValue() / 1e9, r.get("dim"), r.get("layers"), r.get("write_seconds"));
        out.printf(Locale.ROOT, "%-44s %14s%n", "", "value");
        out.printf(Locale.ROOT, "%-44s %11.3f ms%n", "open (first)", 1e3 * (Double) r.get("open_seconds_first"));
        out.printf(Locale.ROOT, "%-44s %11.3f ms%n", "open (best of " + OPENS + ")", 1e3 * (Double) r.get("open_seconds_best"));
        out.printf(Locale.ROOT, "%-44s %11.3f ms%n", "read header bytes (best of " + OPENS + ")", 1e3 * (Double) r.get("read_header_seconds_best"));
        out.printf(Locale.ROOT, "%-44s %13.2fx%n", "open vs read header", r.get("open_vs_read_header"));
        long before = (Long) r.get("rss_before_open"), open = (Long) r.get("rss_after_open"), read = (Long) r.get("rss_after_read_tensor");
        out.printf(Locale.ROOT, "%-44s %11.1f MB%n", "RSS before open", before / mb);
        out.printf(Locale.ROOT, "%-44s %11.1f MB  (%+.1f MB)%n", "RSS after open", open / mb, (open - before) / mb);
        out.printf(Locale.ROOT, "%-44s %11.1f MB  (%+.1f MB; the tensor is %.1f MB)%n", "RSS after reading " + r.get("tensor_read"), read / mb,
                (read - open) / mb, (Long) r.get("tensor_bytes") / mb);
        out.printf(Locale.ROOT, "%-44s %11.3f ms%n", "reading it (first touch: page faults)", 1e3 * (Double) r.get("tensor_read_seconds"));
        out.flush();
    }

    /** The widest LLaDA-like model (dim a power of two, 64 to 4096) with at least one layer that fits the target; then as many layers as fit. */
    static Layout layout(long target) {
        for (int dim = 4096; dim >= 64; dim /= 2) {
            Layout one = new Layout(dim, 1);
            if (one.bytes() <= target) {
                long perLayer = new Layout(dim, 2).bytes() - one.bytes();
                return new Layout(dim, (int) Math.min(10_000, 1 + (target - one.bytes()) / perLayer));
            }
        }
        throw new IllegalArgumentException("--size " + target + " bytes is too small; the smallest LLaDA-like file is " + new Layout(64, 1).bytes() + " bytes");
    }

    private static void write(Path file, Layout l) throws IOException {
        GgufMetadata meta = new GgufMetadata()
                .putString("general.architecture", "llada")
                .putString("general.name", "jdlm bench open (random weights)")
                .putUInt32("llada.block_count", l.layers())
                .putUInt32("llada.embedding_length", l.dim())
                .putUInt32("llada.feed_forward_length", l.hidden())
                .putUInt32("llada.context_length", 4096)
                .putUInt32("llada.attention.head_count", Math.max(1, l.dim() / 128))
                .putFloat32("llada.attention.layer_norm_rms_epsilon", 1e-5)
                .putFloat32("llada.rope.freq_base", 500000)
                .putString("tokenizer.ggml.model", "gpt2")
                .putArray("tokenizer.ggml.tokens", GgufArray.ofStrings(vocabulary()))
                .putArray("tokenizer.ggml.token_type", GgufArray.ofIntegers(GgufValueType.INT32, new long[VOCAB]));
        byte[] block = q8Blocks();
        GgufWriter w = new GgufWriter(meta);
        int d = l.dim(), h = l.hidden();
        w.add("token_embd.weight", GgmlType.Q8_0, new long[] {VOCAB, d}, repeated(block, q8Bytes((long) VOCAB * d)));
        for (int i = 0; i < l.layers(); i++) {
            String p = "blk." + i + ".";
            w.add(p + "attn_norm.weight", GgmlType.F32, new long[] {d}, ones(d));
            for (String m : List.of("attn_q", "attn_k", "attn_v", "attn_output")) {
                w.add(p + m + ".weight", GgmlType.Q8_0, new long[] {d, d}, repeated(block, q8Bytes((long) d * d)));
            }
            w.add(p + "ffn_norm.weight", GgmlType.F32, new long[] {d}, ones(d));
            w.add(p + "ffn_gate.weight", GgmlType.Q8_0, new long[] {h, d}, repeated(block, q8Bytes((long) h * d)));
            w.add(p + "ffn_up.weight", GgmlType.Q8_0, new long[] {h, d}, repeated(block, q8Bytes((long) h * d)));
            w.add(p + "ffn_down.weight", GgmlType.Q8_0, new long[] {d, h}, repeated(block, q8Bytes((long) d * h)));
        }
        w.add("output_norm.weight", GgmlType.F32, new long[] {d}, ones(d));
        w.add("output.weight", GgmlType.Q8_0, new long[] {VOCAB, d}, repeated(block, q8Bytes((long) VOCAB * d)));
        w.write(file);
    }

    /** LLaDA-sized vocabulary of made-up byte-level tokens (so the header is as big as a real one: megabytes). */
    private static List<String> vocabulary() {
        SplittableRandom r = new SplittableRandom(2);
        List<String> tokens = new ArrayList<>(VOCAB);
        for (int i = 0; i < VOCAB; i++) {
            StringBuilder t = new StringBuilder(r.nextBoolean() ? "Ġ" : "");
            for (int k = 1 + r.nextInt(8); k > 0; k--) t.append((char) ('a' + r.nextInt(26)));
            tokens.add(t.append(i).toString());
        }
        return tokens;
    }

    private static long q8Bytes(long elements) {
        return elements / 32 * 34;
    }

    /** 1 MiB-ish of valid random Q8_0 blocks (f16 scale 0.01, random int8 quants), written over and over. */
    private static byte[] q8Blocks() {
        byte[] b = new byte[34 * 32 * 1024];
        new SplittableRandom(1).nextBytes(b);
        short scale = Float.floatToFloat16(0.01f);
        for (int at = 0; at < b.length; at += 34) {
            b[at] = (byte) scale;
            b[at + 1] = (byte) (scale >> 8);
        }
        return b;
    }

    private static GgufWriter.Content repeated(byte[] block, long bytes) {
        return out -> {
            for (long left = bytes; left > 0; left -= block.length) out.write(block, 0, (int) Math.min(block.length, left));
        };
    }

    private static GgufWriter.Content ones(int n) {
        return out -> {
            ByteBuffer b = ByteBuffer.allocate(4 * n).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) b.putFloat(1f);
            out.write(b.array());
        };
    }

    /** Resident set size of this process in bytes (VmRSS), or -1 where /proc is missing. */
    static long rss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux: reported as -1
        }
        return -1;
    }

    static long parseSize(String s) {
        String t = s.strip().toUpperCase(Locale.ROOT);
        long unit = switch (t.isEmpty() ? ' ' : t.charAt(t.length() - 1)) {
            case 'K' -> 1L << 10;
            case 'M' -> 1L << 20;
            case 'G' -> 1L << 30;
            default -> 1;
        };
        try {
            double v = Double.parseDouble(unit == 1 ? t : t.substring(0, t.length() - 1));
            if (!(v > 0) || v * unit > 1L << 50) throw new NumberFormatException();
            return (long) (v * unit);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--size " + s + " is not a size; expected e.g. 512M or 3G");
        }
    }

    private void note(String what) {
        spec.commandLine().getErr().println("bench open: " + what + "...");
    }
}
