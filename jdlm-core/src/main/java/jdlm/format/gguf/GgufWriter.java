package jdlm.format.gguf;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jdlm.tensor.WeightTensor;

/**
 * Writes a GGUF v3 file: the given metadata (every value type), the tensor infos, and each
 * tensor's bytes padded to the alignment ({@code general.alignment} when the metadata sets it,
 * else 32), as llama.cpp lays them out. Tensor bytes are streamed to disk when {@link #write} runs
 * (from a {@link MemorySegment} or a {@link Content} that produces them), so a file of many GB
 * never sits in the heap. Atomic: the file is written beside the target and renamed over it.
 */
public final class GgufWriter {

    /** Produces a tensor's bytes, exactly as many as its type and shape need, when the file is written. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    private record Entry(String name, GgmlType type, long[] shape, long bytes, Content content) {}

    private final GgufMetadata metadata;
    private final List<Entry> tensors = new ArrayList<>();
    private final Set<String> names = new HashSet<>();

    /** A writer of {@code metadata} (read when {@link #write} runs) and the tensors added next. */
    public GgufWriter(GgufMetadata metadata) {
        this.metadata = metadata;
    }

    /** Adds a weight tensor of any {@link jdlm.tensor.QuantType}. */
    public GgufWriter add(WeightTensor w) {
        return add(w.name(), GgmlType.of(w.type()), w.shape(), w.data());
    }

    /** Adds a tensor of any GGML type from its raw bytes (shape outermost first). */
    public GgufWriter add(String name, GgmlType type, long[] shape, MemorySegment data) {
        long bytes = checkedBytes(name, type, shape);
        if (data.byteSize() != bytes) {
            throw new IllegalArgumentException("tensor " + name + ": " + type + " " + Arrays.toString(shape) + " needs " + bytes + " bytes, the data has " + data.byteSize());
        }
        return add(name, type, shape, bytes, out -> copy(data, out));
    }

    /** Adds a tensor whose bytes {@code content} writes when the file is written (shape outermost first). */
    public GgufWriter add(String name, GgmlType type, long[] shape, Content content) {
        return add(name, type, shape, checkedBytes(name, type, shape), content);
    }

    private GgufWriter add(String name, GgmlType type, long[] shape, long bytes, Content content) {
        if (!names.add(name)) throw new IllegalArgumentException("duplicate tensor name " + name);
        tensors.add(new Entry(name, type, shape.clone(), bytes, content));
        return this;
    }

    private static long checkedBytes(String name, GgmlType type, long[] shape) {
        if (shape.length > GgufFile.MAX_DIMS) throw new IllegalArgumentException("tensor " + name + ": GGUF allows at most " + GgufFile.MAX_DIMS + " dimensions, got " + shape.length);
        long n = 1;
        for (long d : shape) {
            if (d <= 0 || n > Long.MAX_VALUE / d) throw new IllegalArgumentException("tensor " + name + ": bad shape " + Arrays.toString(shape));
            n *= d;
        }
        long cols = shape.length == 0 ? 1 : shape[shape.length - 1];
        long bytes = type.bytesFor(n);
        if (cols % type.blockSize() != 0 || bytes < 0) {
            throw new IllegalArgumentException("tensor " + name + ": rows of " + cols + " are not a whole number of " + type + " blocks of " + type.blockSize());
        }
        return bytes;
    }

    public void write(Path target) throws IOException {
        long alignment = GgufFile.DEFAULT_ALIGNMENT;
        if (metadata.has("general.alignment")) {
            alignment = metadata.getLong("general.alignment");
            if (alignment <= 0 || alignment > (1 << 30) || Long.bitCount(alignment) != 1) {
                throw new IllegalArgumentException("general.alignment must be a power of two from 1 to 2^30, is " + alignment);
            }
        }
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve(target.getFileName() + ".tmp"); // beside the target: the rename stays on one file system
        try {
            try (Out out = new Out(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20))) {
                out.u32(GgufFile.MAGIC);
                out.u32(3);
                out.u64(tensors.size());
                out.u64(metadata.size());
                for (Map.Entry<String, Object> kv : metadata.asMap().entrySet()) {
                    out.string(kv.getKey());
                    GgufValueType type = metadata.type(kv.getKey());
                    out.u32(type.id());
                    out.value(type, kv.getValue());
                }
                long offset = 0;
                for (Entry t : tensors) {
                    out.string(t.name);
                    out.u32(t.shape.length);
                    for (int j = t.shape.length - 1; j >= 0; j--) out.u64(t.shape[j]); // innermost first
                    out.u32(t.type.id());
                    out.u64(offset);
                    offset = GgufFile.alignUp(offset + t.bytes, alignment);
                }
                out.pad(alignment);
                for (Entry t : tensors) {
                    long before = out.count;
                    t.content.writeTo(out);
                    if (out.count - before != t.bytes) {
                        throw new IllegalStateException("tensor " + t.name + ": its content wrote " + (out.count - before) + " bytes, "
                                + t.type + " " + Arrays.toString(t.shape) + " needs " + t.bytes);
                    }
                    out.pad(alignment);
                }
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void copy(MemorySegment data, OutputStream out) throws IOException {
        byte[] buf = new byte[(int) Math.min(data.byteSize(), 1 << 20)];
        for (long at = 0; at < data.byteSize(); at += buf.length) {
            int n = (int) Math.min(buf.length, data.byteSize() - at);
            MemorySegment.copy(data, ValueLayout.JAVA_BYTE, at, buf, 0, n);
            out.write(buf, 0, n);
        }
    }

    /** Little-endian primitives onto a stream, counting the bytes written. */
    private static final class Out extends FilterOutputStream {
        long count;

        Out(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }

        void le(long v, int bytes) throws IOException {
            for (int i = 0; i < bytes; i++) write((int) (v >>> (8 * i)) & 0xFF);
        }

        void u32(long v) throws IOException { le(v, 4); }

        void u64(long v) throws IOException { le(v, 8); }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            write(b, 0, b.length);
        }

        void pad(long alignment) throws IOException {
            while (count % alignment != 0) write(0);
        }

        void value(GgufValueType type, Object v) throws IOException {
            switch (type) {
                case STRING -> string((String) v);
                case ARRAY -> array((GgufArray) v);
                case BOOL -> write((Boolean) v ? 1 : 0);
                case FLOAT32 -> u32(Float.floatToRawIntBits(((Double) v).floatValue()));
                case FLOAT64 -> u64(Double.doubleToRawLongBits((Double) v));
                default -> le((Long) v, type.bytes());
            }
        }

        void array(GgufArray a) throws IOException {
            u32(a.elementType().id());
            u64(a.size());
            for (int i = 0; i < a.size(); i++) value(a.elementType(), a.get(i));
        }
    }
}
