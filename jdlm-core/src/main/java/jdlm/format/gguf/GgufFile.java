package jdlm.format.gguf;

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
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jdlm.format.FormatException;
import jdlm.tensor.QuantType;
import jdlm.tensor.WeightTensor;

/**
 * A GGUF file (version 3, or 2), memory-mapped: "GGUF", version, tensor count, metadata count,
 * the metadata key/values, the tensor infos (name, dims innermost first, GGML type, offset into
 * the data section), padding to {@code general.alignment} (default 32), then the data. Opening
 * reads and validates the header only; tensor bytes stay in the mapping until used, so opening an
 * 8 GB model costs about what reading its header does.
 *
 * <p>Nothing in the header is trusted before it is checked (DESIGN.md §6): every count and length
 * against the bytes left in the file (before anything is allocated), value and tensor types,
 * nesting depth, dims (1 to 4, each positive, products without overflow, rows a whole number of
 * blocks), the alignment (a power of two), offsets (aligned, inside the file, not overlapping)
 * and duplicated keys or tensor names. Any failure is one {@link FormatException} naming the
 * file, the field, what was expected and what was found.
 */
public final class GgufFile implements AutoCloseable {
    public static final int DEFAULT_ALIGNMENT = 32;
    static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
    static final int MAX_DIMS = 4;
    /** Arrays of arrays deeper than this are refused (real files nest at most once), so no stack overflow. */
    static final int MAX_NESTING = 16;
    /** The fewest bytes a tensor info takes: name length, n_dims, type, offset. */
    private static final int MIN_TENSOR_INFO_BYTES = 8 + 4 + 4 + 8;
    /** The fewest bytes a key/value takes: key length, value type, a one-byte value. */
    private static final int MIN_KV_BYTES = 8 + 4 + 1;

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final GgufMetadata metadata;
    private final int alignment;
    private final long dataStart;
    private final Map<String, GgufTensorInfo> tensors;

    private GgufFile(Path path, Arena arena, MemorySegment file, int version, GgufMetadata metadata, int alignment, long dataStart,
                     Map<String, GgufTensorInfo> tensors) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.version = version;
        this.metadata = metadata;
        this.alignment = alignment;
        this.dataStart = dataStart;
        this.tensors = tensors;
    }

    /** Maps and validates the file; throws {@link FormatException} naming what is wrong. */
    public static GgufFile open(Path path) {
        Arena arena = Arena.ofShared(); // shared: worker threads read the weights
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment seg = size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return parse(path, arena, seg, size);
        } catch (IOException e) {
            arena.close();
            throw new FormatException(path, "cannot read the file: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static GgufFile parse(Path path, Arena arena, MemorySegment seg, long size) {
        Cursor c = new Cursor(path, seg, size);
        long magic = c.u32("magic");
        if (magic != Integer.toUnsignedLong(MAGIC)) {
            throw new FormatException(path, "magic", "\"GGUF\" (a GGUF file)", "bytes " + hex(seg, 0, 4));
        }
        long version = c.u32("version");
        if (version != 2 && version != 3) {
            long swapped = Integer.toUnsignedLong(Integer.reverseBytes((int) version));
            String found = swapped == 2 || swapped == 3 ? swapped + " big-endian (only little-endian GGUF is supported)"
                    : version == 1 ? "1 (GGUF v1, with 32-bit counts, is not supported)" : Long.toString(version);
            throw new FormatException(path, "version", "2 or 3", found);
        }
        long tensorCount = c.count("tensor_count", MIN_TENSOR_INFO_BYTES);
        long kvCount = c.count("metadata_kv_count", MIN_KV_BYTES);

        GgufMetadata metadata = new GgufMetadata(path);
        for (long i = 0; i < kvCount; i++) {
            String key = c.string("metadata[" + i + "].key");
            if (metadata.has(key)) throw new FormatException(path, "metadata " + key, "each key once", "a second entry");
            GgufValueType type = c.valueType("metadata " + key + ".type");
            metadata.put(key, type, c.value(type, "metadata " + key, 0));
        }
        metadata.freeze();
        int alignment = alignment(path, metadata);

        List<GgufTensorInfo> infos = new ArrayList<>();
        Map<String, GgufTensorInfo> byName = new LinkedHashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            String name = c.string("tensor_info[" + i + "].name");
            if (byName.containsKey(name)) throw new FormatException(path, "tensor " + name, "each tensor name once", "a second tensor info");
            GgufTensorInfo t = c.tensorInfo(name);
            byName.put(name, t);
            infos.add(t);
        }
        long dataStart = alignUp(c.pos, alignment);
        long dataSize = Math.max(0, size - dataStart);
        Map<String, GgufTensorInfo> tensors = new LinkedHashMap<>();
        for (GgufTensorInfo t : infos) {
            long rel = t.offset(); // still relative to the data section here
            if (rel % alignment != 0) {
                throw new FormatException(path, "tensor " + t.name() + ".offset", "a multiple of the alignment " + alignment, Long.toUnsignedString(rel));
            }
            if (rel < 0 || rel > dataSize || t.byteSize() > dataSize - rel) {
                throw new FormatException(path, "tensor " + t.name() + ".offset", t.byteSize() + " bytes (" + t.type() + " " + Arrays.toString(t.shape())
                        + ") inside the data section of " + dataSize + " bytes", "offset " + Long.toUnsignedString(rel));
            }
            tensors.put(t.name(), new GgufTensorInfo(t.name(), t.type(), t.shape(), dataStart + rel, t.byteSize()));
        }
        List<GgufTensorInfo> byOffset = new ArrayList<>(tensors.values());
        byOffset.sort((a, b) -> Long.compare(a.offset(), b.offset()));
        for (int i = 1; i < byOffset.size(); i++) {
            GgufTensorInfo prev = byOffset.get(i - 1), cur = byOffset.get(i);
            if (cur.offset() < prev.offset() + prev.byteSize()) {
                throw new FormatException(path, "tensor " + cur.name() + ".offset", "data not overlapping tensor " + prev.name()
                        + " [" + (prev.offset() - dataStart) + ", " + (prev.offset() - dataStart + prev.byteSize()) + ")",
                        "offset " + (cur.offset() - dataStart));
            }
        }
        return new GgufFile(path, arena, seg, (int) version, metadata, alignment, dataStart, Collections.unmodifiableMap(tensors));
    }

    private static int alignment(Path path, GgufMetadata metadata) {
        if (!metadata.has("general.alignment")) return DEFAULT_ALIGNMENT;
        long a = metadata.getLong("general.alignment");
        if (a <= 0 || a > (1 << 30) || Long.bitCount(a) != 1) {
            throw new FormatException(path, "metadata general.alignment", "a power of two from 1 to 2^30", metadata.describe("general.alignment"));
        }
        return (int) a;
    }

    static long alignUp(long pos, long alignment) {
        return (pos + alignment - 1) / alignment * alignment;
    }

    private static String hex(MemorySegment seg, long from, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.append(String.format("%02x", seg.get(ValueLayout.JAVA_BYTE, from + i) & 0xFF));
        return sb.toString();
    }

    /** Reads the header forward; every read is checked against the bytes left in the file. */
    private static final class Cursor {
        private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

        private final Path path;
        private final MemorySegment seg;
        private final long size;
        long pos;

        Cursor(Path path, MemorySegment seg, long size) {
            this.path = path;
            this.seg = seg;
            this.size = size;
        }

        private long left() { return size - pos; }

        private void need(long n, String field) {
            if (n > left()) throw new FormatException(path, field, n + " bytes at offset " + pos, left() + " bytes left in the file");
        }

        long u32(String field) {
            need(4, field);
            long v = Integer.toUnsignedLong(seg.get(I32, pos));
            pos += 4;
            return v;
        }

        long u64(String field) {
            need(8, field);
            long v = seg.get(I64, pos);
            pos += 8;
            return v;
        }

        /** A uint64 count of items of at least {@code minBytes} each, which the rest of the file must be able to hold. */
        long count(String field, int minBytes) {
            long n = u64(field);
            long most = left() / minBytes;
            if (n < 0 || n > most) {
                throw new FormatException(path, field, "at most " + most + " (what the " + left() + " bytes left can hold)", Long.toUnsignedString(n));
            }
            return n;
        }

        String string(String field) {
            return string(field, -1);
        }

        /** A string, or element {@code index} of a string array ({@code index} ≥ 0): names are built only for a message. */
        String string(String field, long index) {
            if (left() < 8) need(8, name(field, index) + " length");
            long len = seg.get(I64, pos);
            pos += 8;
            if (len < 0 || len > left() || len > Integer.MAX_VALUE - 8) {
                throw new FormatException(path, name(field, index) + " length",
                        "at most " + Math.min(left(), Integer.MAX_VALUE - 8) + " bytes (what is left in the file)", Long.toUnsignedString(len));
            }
            if (len == 0) return "";
            byte[] utf8 = new byte[(int) len];
            MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos, utf8, 0, utf8.length);
            String s = new String(utf8, StandardCharsets.UTF_8);
            pos += len;
            return s;
        }

        private static String name(String field, long index) {
            return index < 0 ? field : field + "[" + index + "]";
        }

        GgufValueType valueType(String field) {
            long id = u32(field);
            GgufValueType t = GgufValueType.byId(id);
            if (t == null) throw new FormatException(path, field, "a value type id from 0 to 12", Long.toString(id));
            return t;
        }

        Object value(GgufValueType type, String field, int depth) {
            if (type == GgufValueType.STRING) return string(field);
            if (type == GgufValueType.ARRAY) return array(field, depth);
            need(type.bytes(), field);
            long at = pos;
            pos += type.bytes();
            return switch (type) {
                case UINT8 -> (long) (seg.get(ValueLayout.JAVA_BYTE, at) & 0xFF);
                case INT8 -> (long) seg.get(ValueLayout.JAVA_BYTE, at);
                case UINT16 -> (long) (seg.get(I16, at) & 0xFFFF);
                case INT16 -> (long) seg.get(I16, at);
                case UINT32 -> Integer.toUnsignedLong(seg.get(I32, at));
                case INT32 -> (long) seg.get(I32, at);
                case UINT64, INT64 -> seg.get(I64, at);
                case FLOAT32 -> (double) Float.intBitsToFloat(seg.get(I32, at));
                case FLOAT64 -> Double.longBitsToDouble(seg.get(I64, at));
                case BOOL -> {
                    byte b = seg.get(ValueLayout.JAVA_BYTE, at);
                    if (b != 0 && b != 1) throw new FormatException(path, field, "a bool (0 or 1)", Integer.toString(b & 0xFF));
                    yield b == 1;
                }
                default -> throw new IllegalStateException(type.toString());
            };
        }

        GgufArray array(String field, int depth) {
            if (depth >= MAX_NESTING) throw new FormatException(path, field, "arrays nested at most " + MAX_NESTING + " deep", "deeper nesting");
            GgufValueType type = valueType(field + ".type");
            long n = count(field + ".count", type.minBytes());
            if (n > Integer.MAX_VALUE - 8) throw new FormatException(path, field + ".count", "at most " + (Integer.MAX_VALUE - 8) + " elements", Long.toString(n));
            GgufArray a = GgufArray.allocate(type, (int) n);
            if (type.bytes() > 0) {
                a.copyFrom(seg, pos); // count() checked n · bytes ≤ left
                if (type == GgufValueType.BOOL && a.firstBadBool() >= 0) {
                    int i = a.firstBadBool();
                    throw new FormatException(path, field + "[" + i + "]", "a bool (0 or 1)", Integer.toString(seg.get(ValueLayout.JAVA_BYTE, pos + i) & 0xFF));
                }
                pos += n * type.bytes();
            } else {
                for (int i = 0; i < n; i++) a.setObject(i, type == GgufValueType.STRING ? string(field, i) : array(name(field, i), depth + 1));
            }
            return a;
        }

        GgufTensorInfo tensorInfo(String name) {
            String field = "tensor " + name;
            long nDims = u32(field + ".n_dims");
            if (nDims > MAX_DIMS) throw new FormatException(path, field + ".n_dims", "at most " + MAX_DIMS, Long.toString(nDims));
            long[] shape = new long[(int) nDims];
            long elements = 1;
            for (int j = 0; j < nDims; j++) {
                long d = u64(field + ".dims[" + j + "]");
                if (d <= 0) throw new FormatException(path, field + ".dims[" + j + "]", "a positive size", Long.toUnsignedString(d));
                if (elements > Long.MAX_VALUE / d) {
                    throw new FormatException(path, field + ".dims", "an element count that fits in 63 bits", "dims[" + j + "] = " + d + " after " + elements);
                }
                elements *= d;
                shape[shape.length - 1 - j] = d; // GGUF lists dims innermost first
            }
            long id = u32(field + ".type");
            GgmlType type = GgmlType.byId(id);
            if (type == null) throw new FormatException(path, field + ".type", "a GGML type id (0 F32, 1 F16, 8 Q8_0, 12 Q4_K, 30 BF16, ...)", Long.toString(id));
            long cols = nDims == 0 ? 1 : shape[shape.length - 1];
            if (cols % type.blockSize() != 0) {
                throw new FormatException(path, field + ".dims[0]", "a multiple of " + type.blockSize() + " (the " + type + " block size)", Long.toString(cols));
            }
            long bytes = type.bytesFor(elements);
            if (bytes < 0) throw new FormatException(path, field + ".dims", "a byte size that fits in 63 bits", elements + " " + type + " elements");
            long offset = u64(field + ".offset");
            return new GgufTensorInfo(name, type, shape, offset, bytes);
        }
    }

    public Path path() { return path; }

    /** 2 or 3. */
    public int version() { return version; }

    public GgufMetadata metadata() { return metadata; }

    /** The data section's alignment ({@code general.alignment}, default 32). */
    public int alignment() { return alignment; }

    /** Where the data section starts in the file. */
    public long dataStart() { return dataStart; }

    public long fileSize() { return file.byteSize(); }

    /** Tensors in file order. */
    public Map<String, GgufTensorInfo> tensors() { return tensors; }

    /** The tensor's info; a clear error when the file has no such tensor. */
    public GgufTensorInfo tensor(String name) {
        GgufTensorInfo t = tensors.get(name);
        if (t == null) throw new FormatException(path, "tensor " + name, "present", "no such tensor (" + tensors.size() + " tensors in the file)");
        return t;
    }

    /** The raw bytes of a tensor of any type (a view of the mapping, no copy; valid until {@link #close()}). */
    public MemorySegment segment(String name) {
        GgufTensorInfo t = tensor(name);
        return file.asSlice(t.offset(), t.byteSize());
    }

    /**
     * The tensor for computing with, over the mapped bytes (valid until {@link #close()}); a clear
     * error when its type is one jdlm cannot compute with (e.g. Q5_K).
     */
    public WeightTensor weight(String name) {
        GgufTensorInfo t = tensor(name);
        QuantType q = t.type().quantType();
        if (q == null) {
            throw new FormatException(path, "tensor " + name + ".type", "one of " + Arrays.toString(QuantType.values()) + " (the types jdlm computes with)",
                    t.type().toString());
        }
        return new WeightTensor(name, q, t.shape(), segment(name));
    }

    @Override
    public void close() {
        arena.close();
    }
}
