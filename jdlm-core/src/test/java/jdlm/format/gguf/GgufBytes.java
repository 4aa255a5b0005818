package jdlm.format.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * GGUF bytes built by hand, following the format description rather than {@link GgufWriter}, so
 * the reader is tested against an independent encoding. Remembers where each number field sits,
 * for tests that overwrite them.
 */
final class GgufBytes {
    /** A number field: its position, width in bytes and a name for messages. */
    record Field(int pos, int width, String what) {}

    private final ByteArrayOutputStream b = new ByteArrayOutputStream();
    final List<Field> fields = new ArrayList<>();

    GgufBytes header(int version, long tensors, long kvs) {
        b.writeBytes("GGUF".getBytes(StandardCharsets.US_ASCII));
        return u32(version, "version").u64(tensors, "tensor_count").u64(kvs, "kv_count");
    }

    GgufBytes u8(int v) {
        b.write(v);
        return this;
    }

    GgufBytes le(long v, int width, String what) {
        fields.add(new Field(b.size(), width, what));
        for (int i = 0; i < width; i++) b.write((int) (v >>> (8 * i)));
        return this;
    }

    GgufBytes u32(long v, String what) { return le(v, 4, what); }

    GgufBytes u64(long v, String what) { return le(v, 8, what); }

    GgufBytes str(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        u64(bytes.length, "length of " + s);
        b.writeBytes(bytes);
        return this;
    }

    /** A key and its value type id; the value follows. */
    GgufBytes key(String key, GgufValueType type) {
        return str(key).u32(type.id(), "type of " + key);
    }

    GgufBytes tensorInfo(String name, long[] dimsInnermostFirst, int ggmlType, long offset) {
        str(name).u32(dimsInnermostFirst.length, "n_dims of " + name);
        for (long d : dimsInnermostFirst) u64(d, "dim of " + name);
        return u32(ggmlType, "type of " + name).u64(offset, "offset of " + name);
    }

    GgufBytes raw(byte[] bytes) {
        b.writeBytes(bytes);
        return this;
    }

    GgufBytes padTo(int alignment) {
        while (b.size() % alignment != 0) b.write(0);
        return this;
    }

    int size() { return b.size(); }

    byte[] toByteArray() { return b.toByteArray(); }
}
