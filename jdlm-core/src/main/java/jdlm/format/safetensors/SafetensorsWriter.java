package jdlm.format.safetensors;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jdlm.format.Json;

/**
 * Writes a safetensors file from float arrays (stored as F32, F16 or BF16), atomically: the bytes
 * go to a temporary file in the same directory, which is then renamed over the target, so a crash
 * never leaves a half-written file under the final name.
 */
public final class SafetensorsWriter {

    private record Entry(String name, DType dtype, long[] shape, float[] data, int offset) {}

    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /** Adds a tensor: {@code product(shape)} floats from {@code data[offset ..]}, stored as {@code dtype}. */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, float[] data, int offset) {
        long n = 1;
        for (long d : shape) n *= d;
        if (offset < 0 || n > data.length - offset) throw new IllegalArgumentException("tensor " + name + " needs " + n + " floats from offset " + offset + ", the array has " + data.length);
        for (Entry e : entries) if (e.name.equals(name)) throw new IllegalArgumentException("duplicate tensor name " + name);
        entries.add(new Entry(name, dtype, shape.clone(), data, offset));
        return this;
    }

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    public void write(Path target) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        if (!metadata.isEmpty()) header.put("__metadata__", metadata);
        long pos = 0;
        for (Entry e : entries) {
            long bytes = elements(e) * e.dtype.bytes();
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", e.dtype.name());
            List<Object> shape = new ArrayList<>();
            for (long d : e.shape) shape.add(d);
            info.put("shape", shape);
            info.put("data_offsets", List.of(pos, pos + bytes));
            header.put(e.name, info);
            pos += bytes;
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8; // the data section starts 8-byte aligned
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve(target.getFileName() + ".tmp"); // beside the target: the rename stays on one file system
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
                out.write(len.array());
                out.write(json);
                for (int i = json.length; i < padded; i++) out.write(' ');
                ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
                for (Entry e : entries) {
                    long n = elements(e);
                    for (long i = 0; i < n; i++) {
                        if (buf.remaining() < 4) {
                            out.write(buf.array(), 0, buf.position());
                            buf.clear();
                        }
                        float v = e.data[e.offset + (int) i];
                        switch (e.dtype) {
                            case F32 -> buf.putFloat(v);
                            case F16 -> buf.putShort(Float.floatToFloat16(v));
                            case BF16 -> buf.putShort(toBf16(v));
                        }
                    }
                }
                out.write(buf.array(), 0, buf.position());
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static long elements(Entry e) {
        long n = 1;
        for (long d : e.shape) n *= d;
        return n;
    }

    /** float32 → bfloat16 with round-to-nearest-even (NaN stays NaN). */
    static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
