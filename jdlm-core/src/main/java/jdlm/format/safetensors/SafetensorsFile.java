package jdlm.format.safetensors;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jdlm.format.FormatException;
import jdlm.format.Json;
import jdlm.format.JsonException;
import jdlm.tensor.QuantType;
import jdlm.tensor.WeightTensor;

/**
 * A safetensors file, memory-mapped: an 8-byte little-endian header length, a JSON header naming
 * each tensor's dtype, shape and [begin, end) byte range in the data section, then the data.
 * Opening reads and validates only the header; tensor bytes are touched when asked for.
 *
 * <p>Everything in the header is checked before use (DESIGN.md §6): header length within the file
 * and a sane limit, dtype known, dimensions non-negative, shape products without overflow, byte
 * ranges inside the data section, matching the shape, and not overlapping.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Headers larger than this are refused (real ones are kilobytes to a few megabytes). */
    static final long MAX_HEADER_BYTES = 100L << 20;

    /** One tensor's entry in the header. {@code offset} is absolute in the file. */
    public record TensorInfo(String name, DType dtype, long[] shape, long offset, long byteSize) {
        public long elements() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }
    }

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final MemorySegment data;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, MemorySegment data, Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.data = data;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Maps and validates the file; throws {@link FormatException} naming what is wrong. */
    public static SafetensorsFile open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment seg = size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            SafetensorsFile f = parse(path, seg, size, arena);
            return f;
        } catch (IOException e) {
            arena.close();
            throw new FormatException(path, "cannot read the file: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static SafetensorsFile parse(Path path, MemorySegment seg, long size, Arena arena) {
        if (size < 8) throw new FormatException(path, "header length", "8 bytes", size + " bytes in the whole file");
        long headerLen = seg.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (headerLen < 2 || headerLen > MAX_HEADER_BYTES || headerLen > size - 8) {
            throw new FormatException(path, "header length", "2 to min(" + MAX_HEADER_BYTES + ", file size − 8 = " + (size - 8) + ") bytes",
                    Long.toUnsignedString(headerLen));
        }
        byte[] headerBytes = seg.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE);
        String headerText = new String(headerBytes, StandardCharsets.UTF_8);
        Map<String, Object> header;
        try {
            header = Json.parseObject(headerText, (int) headerLen);
        } catch (JsonException e) {
            throw new FormatException(path, "header JSON is malformed: " + e.getMessage(), e);
        }
        long dataStart = 8 + headerLen, dataSize = size - dataStart;
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : header.entrySet()) {
            String name = e.getKey();
            if (name.equals("__metadata__")) {
                if (!(e.getValue() instanceof Map<?, ?> m)) throw new FormatException(path, "__metadata__", "an object of strings", Json.typeName(e.getValue()));
                for (Map.Entry<?, ?> kv : m.entrySet()) {
                    if (!(kv.getValue() instanceof String s)) {
                        throw new FormatException(path, "__metadata__." + kv.getKey(), "a string", Json.typeName(kv.getValue()));
                    }
                    metadata.put((String) kv.getKey(), s);
                }
                continue;
            }
            tensors.put(name, tensorInfo(path, name, e.getValue(), dataStart, dataSize));
        }
        List<TensorInfo> byOffset = new ArrayList<>(tensors.values());
        byOffset.sort((a, b) -> Long.compare(a.offset(), b.offset()));
        for (int i = 1; i < byOffset.size(); i++) {
            TensorInfo prev = byOffset.get(i - 1), cur = byOffset.get(i);
            if (cur.offset() < prev.offset() + prev.byteSize()) {
                throw new FormatException(path, cur.name() + ".data_offsets", "a byte range not overlapping " + prev.name(),
                        "[" + (cur.offset() - dataStart) + ", " + (cur.offset() - dataStart + cur.byteSize()) + ")");
            }
        }
        return new SafetensorsFile(path, arena, seg, Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
    }

    private static TensorInfo tensorInfo(Path path, String name, Object entry, long dataStart, long dataSize) {
        if (!(entry instanceof Map<?, ?> m)) throw new FormatException(path, name, "an object with dtype, shape, data_offsets", Json.typeName(entry));
        Object dt = m.get("dtype");
        DType dtype = dt instanceof String s ? DType.named(s) : null;
        if (dtype == null) throw new FormatException(path, name + ".dtype", "one of F32, F16, BF16", String.valueOf(dt));
        if (!(m.get("shape") instanceof List<?> shapeList)) throw new FormatException(path, name + ".shape", "an array of dimensions", Json.typeName(m.get("shape")));
        if (shapeList.size() > 8) throw new FormatException(path, name + ".shape", "at most 8 dimensions", shapeList.size() + "");
        long[] shape = new long[shapeList.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!(shapeList.get(i) instanceof Long d) || d < 0) {
                throw new FormatException(path, name + ".shape[" + i + "]", "a non-negative integer", String.valueOf(shapeList.get(i)));
            }
            shape[i] = d;
            try {
                elements = Math.multiplyExact(elements, d);
            } catch (ArithmeticException overflow) {
                throw new FormatException(path, name + ".shape", "a shape whose element count fits in 63 bits", shapeList.toString());
            }
        }
        if (!(m.get("data_offsets") instanceof List<?> off) || off.size() != 2
                || !(off.get(0) instanceof Long begin) || !(off.get(1) instanceof Long end)) {
            throw new FormatException(path, name + ".data_offsets", "[begin, end] integers", String.valueOf(m.get("data_offsets")));
        }
        if (begin < 0 || end < begin || end > dataSize) {
            throw new FormatException(path, name + ".data_offsets", "0 ≤ begin ≤ end ≤ " + dataSize + " (the data section)", "[" + begin + ", " + end + "]");
        }
        long want;
        try {
            want = Math.multiplyExact(elements, dtype.bytes());
        } catch (ArithmeticException overflow) {
            want = -1;
        }
        if (want != end - begin) {
            throw new FormatException(path, name + ".data_offsets", (want < 0 ? "a representable size" : want + " bytes for shape " + shapeList + " " + dtype),
                    (end - begin) + " bytes");
        }
        return new TensorInfo(name, dtype, shape, dataStart + begin, end - begin);
    }

    public Path path() { return path; }

    /** Tensors in header order. */
    public Map<String, TensorInfo> tensors() { return tensors; }

    /** The free-form {@code __metadata__} strings. */
    public Map<String, String> metadata() { return metadata; }

    /** The tensor's info; a clear error when the file has no such tensor. */
    public TensorInfo tensor(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) throw new FormatException(path, "tensor " + name, "present", "no such tensor (" + tensors.size() + " tensors in the file)");
        return t;
    }

    /** The raw bytes of a tensor (a view of the mapping, no copy). */
    public MemorySegment segment(String name) {
        TensorInfo t = tensor(name);
        return data.asSlice(t.offset(), t.byteSize());
    }

    /** A tensor as a {@link WeightTensor} over the mapping (no copy); valid until this file is closed. */
    public WeightTensor weight(String name) {
        TensorInfo t = tensor(name);
        QuantType type = switch (t.dtype()) {
            case F32 -> QuantType.F32;
            case F16 -> QuantType.F16;
            case BF16 -> QuantType.BF16;
        };
        return new WeightTensor(name, type, t.shape(), segment(name));
    }

    /** Reads a tensor of any supported dtype into {@code out[outOff ..]} as float32. */
    public void readFloats(String name, float[] out, int outOff) {
        TensorInfo t = tensor(name);
        long n = t.elements();
        if (n > out.length - outOff) throw new IllegalArgumentException("tensor " + name + " has " + n + " elements, the destination room for " + (out.length - outOff));
        MemorySegment s = segment(name);
        switch (t.dtype()) {
            case F32 -> {
                for (int i = 0; i < n; i++) out[outOff + i] = s.getAtIndex(F32_LE, i);
            }
            case F16 -> {
                for (int i = 0; i < n; i++) out[outOff + i] = Float.float16ToFloat(s.getAtIndex(I16_LE, i));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) out[outOff + i] = Float.intBitsToFloat((s.getAtIndex(I16_LE, i) & 0xFFFF) << 16);
            }
        }
    }

    /** A new float array holding the tensor. */
    public float[] readFloats(String name) {
        TensorInfo t = tensor(name);
        if (t.elements() > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("tensor " + name + " is too large for one float[]");
        float[] out = new float[(int) t.elements()];
        readFloats(name, out, 0);
        return out;
    }

    @Override
    public void close() {
        arena.close();
    }
}
