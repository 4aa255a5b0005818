package jdlm.format.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

import jdlm.format.FormatException;
import jdlm.tensor.QuantType;
import jdlm.tensor.WeightTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufFileTest {
    @TempDir Path dir;

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i * 31 + seed);
        return b;
    }

    @Test
    void handWrittenFileReadsMetadataReversedShapesAndAlignedData() throws IOException {
        // Q8_0 [ne0 = 64, ne1 = 3]: 3 rows of 2 blocks of 34 bytes = 204 bytes; then F32 [64] at offset 256 (204 rounded up to 64).
        GgufBytes g = new GgufBytes().header(3, 2, 4)
                .key("general.architecture", GgufValueType.STRING).str("llada")
                .key("general.alignment", GgufValueType.UINT32).u32(64, "alignment")
                .key("x.i16", GgufValueType.INT16).le(0xFFFE, 2, "i16")
                .key("x.scores", GgufValueType.ARRAY).u32(GgufValueType.FLOAT32.id(), "elem").u64(2, "count")
                        .u32(Float.floatToIntBits(0.5f), "s0").u32(Float.floatToIntBits(-1.25f), "s1")
                .tensorInfo("blk.0.attn_q.weight", new long[] {64, 3}, 8, 0)
                .tensorInfo("output_norm.weight", new long[] {64}, 0, 256)
                .padTo(64);
        int dataStart = g.size();
        g.raw(pattern(204, 1)).padTo(64).raw(pattern(256, 2));
        try (GgufFile f = GgufFile.open(write("hand.gguf", g.toByteArray()))) {
            assertEquals(3, f.version());
            assertEquals(64, f.alignment());
            assertEquals(dataStart, f.dataStart());
            GgufMetadata m = f.metadata();
            assertEquals(List.of("general.architecture", "general.alignment", "x.i16", "x.scores"), List.copyOf(m.asMap().keySet()));
            assertEquals("llada", m.getString("general.architecture"));
            assertEquals(-2, m.getLong("x.i16"));
            assertEquals(GgufValueType.INT16, m.type("x.i16"));
            assertEquals(List.of(0.5, -1.25), m.getList("x.scores"));
            GgufTensorInfo q = f.tensor("blk.0.attn_q.weight");
            assertArrayEquals(new long[] {3, 64}, q.shape());
            assertEquals(GgmlType.Q8_0, q.type());
            assertEquals(204, q.byteSize());
            WeightTensor w = f.weight("blk.0.attn_q.weight");
            assertEquals(QuantType.Q8_0, w.type());
            assertEquals(3, w.rows());
            assertEquals(68, w.rowBytes());
            assertArrayEquals(pattern(204, 1), w.data().toArray(ValueLayout.JAVA_BYTE));
            assertEquals(dataStart + 256, f.tensor("output_norm.weight").offset());
            assertArrayEquals(pattern(256, 2), f.segment("output_norm.weight").toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void anEightGigabyteFileIsMappedNotRead() throws IOException {
        // a sparse file: 2³¹ F32 elements (8 GiB) after the header, never written, so never on disk
        GgufBytes g = new GgufBytes().header(3, 1, 0).tensorInfo("big", new long[] {1L << 29, 4}, 0, 0).padTo(32);
        Path p = write("big.gguf", g.toByteArray());
        long dataBytes = 4L << 31;
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(g.size() + dataBytes);
        }
        try (GgufFile f = GgufFile.open(p)) {
            WeightTensor w = f.weight("big");
            assertArrayEquals(new long[] {4, 1L << 29}, w.shape());
            assertEquals(dataBytes, w.data().byteSize());
            assertEquals(0f, w.data().get(ValueLayout.JAVA_FLOAT_UNALIGNED, dataBytes - 4), "the last element is reachable");
        }
    }

    @Test
    void version2IsReadLikeVersion3() throws IOException {
        byte[] v2 = new GgufBytes().header(2, 0, 1).key("a", GgufValueType.BOOL).u8(1).toByteArray();
        try (GgufFile f = GgufFile.open(write("v2.gguf", v2))) {
            assertEquals(2, f.version());
            assertTrue(f.metadata().getBoolean("a"));
            assertTrue(f.tensors().isEmpty());
        }
    }

    /** Metadata with every value type, boundary values and nesting. */
    static GgufMetadata everyValueType() {
        return new GgufMetadata()
                .putString("general.architecture", "llada")
                .put("u8", GgufValueType.UINT8, 255L)
                .put("i8", GgufValueType.INT8, -128L)
                .put("u16", GgufValueType.UINT16, 65535L)
                .put("i16", GgufValueType.INT16, -32768L)
                .putUInt32("u32", 0xFFFF_FFFFL)
                .put("i32", GgufValueType.INT32, Integer.MIN_VALUE)
                .put("u64", GgufValueType.UINT64, -1L) // 2⁶⁴ − 1
                .put("i64", GgufValueType.INT64, Long.MIN_VALUE)
                .putFloat32("f32", 0.1f)
                .put("f64", GgufValueType.FLOAT64, Math.PI)
                .putBool("yes", true)
                .putBool("no", false)
                .putString("empty", "")
                .putString("unicode", "Ġthe ▁é 中文 🙂")
                .putArray("tokens", GgufArray.ofStrings(List.of("<|mdm_mask|>", "", "Ġhello", "🙂")))
                .putArray("types", GgufArray.ofIntegers(GgufValueType.INT32, new long[] {1, 3, -6, Integer.MAX_VALUE}))
                .putArray("u8s", GgufArray.ofIntegers(GgufValueType.UINT8, new long[] {0, 200, 255}))
                .putArray("u16s", GgufArray.ofIntegers(GgufValueType.UINT16, new long[] {65535}))
                .putArray("i16s", GgufArray.ofIntegers(GgufValueType.INT16, new long[] {-1, 7}))
                .putArray("u32s", GgufArray.ofIntegers(GgufValueType.UINT32, new long[] {0xFFFF_FFFFL}))
                .putArray("i8s", GgufArray.ofIntegers(GgufValueType.INT8, new long[] {-128, 127}))
                .putArray("u64s", GgufArray.ofIntegers(GgufValueType.UINT64, new long[] {-1, 5}))
                .putArray("i64s", GgufArray.ofIntegers(GgufValueType.INT64, new long[] {Long.MAX_VALUE}))
                .putArray("scores", GgufArray.ofFloats(GgufValueType.FLOAT32, new double[] {-1.5, 0.25, Float.MAX_VALUE}))
                .putArray("f64s", GgufArray.ofFloats(GgufValueType.FLOAT64, new double[] {Math.E, -0.0, Double.NaN}))
                .putArray("bools", GgufArray.ofBooleans(true, false, true))
                .putArray("nothing", GgufArray.ofStrings(List.of()))
                .putArray("nested", GgufArray.ofArrays(List.of(
                        GgufArray.ofIntegers(GgufValueType.UINT32, new long[] {1, 2}),
                        GgufArray.ofArrays(List.of(GgufArray.ofStrings(List.of("deep")))))))
                .putUInt32("general.alignment", 64);
    }

    @Test
    void writeThenReadKeepsEveryValueTypeAndEveryTensorTypesBytes() throws IOException {
        GgufMetadata meta = everyValueType();
        SplittableRandom r = new SplittableRandom(7);
        GgufWriter w = new GgufWriter(meta);
        Map<String, byte[]> bytes = new java.util.LinkedHashMap<>();
        for (QuantType q : QuantType.values()) {
            long[] shape = {3, 2L * q.blockSize()}; // 3 rows of 2 blocks
            byte[] b = new byte[(int) q.bytesFor(shape[0] * shape[1])];
            r.nextBytes(b);
            bytes.put("t." + q, b);
            w.add(new WeightTensor("t." + q, q, shape, MemorySegment.ofArray(b)));
        }
        byte[] q5 = new byte[176];
        r.nextBytes(q5);
        w.add("t.Q5_K", GgmlType.Q5_K, new long[] {256}, MemorySegment.ofArray(q5));
        byte[] streamed = new byte[4 * 5 * 2];
        r.nextBytes(streamed);
        w.add("t.streamed", GgmlType.F32, new long[] {2, 1, 5, 1}, out -> out.write(streamed));
        Path p = dir.resolve("all.gguf");
        w.write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(3, f.version());
            assertEquals(meta.asMap(), f.metadata().asMap());
            for (String key : meta.asMap().keySet()) {
                assertEquals(meta.type(key), f.metadata().type(key), key);
                if (meta.asMap().get(key) instanceof GgufArray a) {
                    assertEquals(a.elementType(), f.metadata().getList(key).elementType(), key);
                }
            }
            assertEquals(-1L, f.metadata().getLong("u64"));
            assertEquals("18446744073709551615", Long.toUnsignedString(f.metadata().getLong("u64")));
            assertEquals(0.1f, (float) f.metadata().getDouble("f32"));
            GgufArray nested = f.metadata().getList("nested");
            assertEquals(GgufValueType.ARRAY, nested.elementType());
            assertEquals(List.of("deep"), ((GgufArray) ((GgufArray) nested.get(1)).get(0)).strings());
            for (QuantType q : QuantType.values()) {
                WeightTensor t = f.weight("t." + q);
                assertEquals(q, t.type());
                assertArrayEquals(new long[] {3, 2L * q.blockSize()}, t.shape());
                assertArrayEquals(bytes.get("t." + q), t.data().toArray(ValueLayout.JAVA_BYTE), q.toString());
            }
            assertArrayEquals(q5, f.segment("t.Q5_K").toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(streamed, f.segment("t.streamed").toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(new long[] {2, 1, 5, 1}, f.tensor("t.streamed").shape());
            for (GgufTensorInfo t : f.tensors().values()) assertEquals(0, (t.offset() - f.dataStart()) % 64, t.name());
            assertEquals(0, f.dataStart() % 64);
        }
        assertFalse(Files.exists(dir.resolve("all.gguf.tmp")));
    }

    @Test
    void unsupportedTypeIsListedButRefusedForComputeNamingTheType() throws IOException {
        Path p = dir.resolve("q5.gguf");
        new GgufWriter(new GgufMetadata()).add("blk.0.ffn_down.weight", GgmlType.Q5_K, new long[] {2, 256}, MemorySegment.ofArray(new byte[352])).write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(352, f.tensor("blk.0.ffn_down.weight").byteSize());
            FormatException e = assertThrows(FormatException.class, () -> f.weight("blk.0.ffn_down.weight"));
            assertTrue(e.getMessage().contains("Q5_K") && e.getMessage().contains("blk.0.ffn_down.weight"), e.getMessage());
            assertTrue(assertThrows(FormatException.class, () -> f.tensor("nope")).getMessage().contains("no such tensor"));
        }
    }

    @Test
    void typedGettersNameTheKeyAndTheTypeFound() {
        GgufMetadata m = everyValueType();
        String e = assertThrows(FormatException.class, () -> m.getString("u32")).getMessage();
        assertTrue(e.contains("metadata u32") && e.contains("expected a string") && e.contains("UINT32 4294967295"), e);
        assertTrue(assertThrows(FormatException.class, () -> m.getLong("f32")).getMessage().contains("FLOAT32"));
        assertTrue(assertThrows(FormatException.class, () -> m.getInt("u32")).getMessage().contains("fits in 32 bits"));
        assertTrue(assertThrows(FormatException.class, () -> m.getBoolean("missing")).getMessage().contains("no such key"));
        assertTrue(assertThrows(FormatException.class, () -> m.getStrings("types")).getMessage().contains("ARRAY of 4 INT32"));
        assertEquals(7, m.getLong("missing", 7));
        assertEquals("d", m.getString("missing", "d"));
        assertEquals(null, m.getList("missing", null));
        assertThrows(FormatException.class, () -> m.getString("u8", "d"), "a present key of the wrong type is not defaulted");
        assertEquals(255.0, m.getDouble("u8"));
        assertEquals(List.of(1L, 3L, -6L, (long) Integer.MAX_VALUE), m.getList("types"));
        assertArrayEquals(new long[] {0, 200, 255}, m.getList("u8s").toLongArray());
        assertThrows(IllegalArgumentException.class, () -> new GgufMetadata().put("x", GgufValueType.UINT8, 256L));
        assertThrows(IllegalArgumentException.class, () -> new GgufMetadata().put("x", GgufValueType.STRING, 1L));
    }

    // ---- rejections, each naming the field --------------------------------------------------

    private void assertRejected(byte[] bytes, String messagePart) throws IOException {
        Path p = write("bad.gguf", bytes);
        String m = assertThrows(FormatException.class, () -> GgufFile.open(p).close()).getMessage();
        assertTrue(m.contains(messagePart), m);
    }

    private static byte[] oneTensor(Consumer<GgufBytes> kvs, int kvCount, long[] dims, int type, long offset, int dataBytes) {
        GgufBytes g = new GgufBytes().header(3, 1, kvCount);
        kvs.accept(g);
        g.tensorInfo("w", dims, type, offset).padTo(32);
        return g.raw(new byte[dataBytes]).toByteArray();
    }

    private static byte[] oneTensor(long[] dims, int type, long offset, int dataBytes) {
        return oneTensor(g -> {}, 0, dims, type, offset, dataBytes);
    }

    @Test
    void corruptHeadersAreRejectedNamingTheField() throws IOException {
        assertRejected("GGUX".getBytes(), "magic");
        assertRejected(new byte[] {'G', 'G'}, "magic: expected 4 bytes at offset 0, found 2 bytes left");
        assertRejected(new GgufBytes().header(1, 0, 0).toByteArray(), "version: expected 2 or 3, found 1");
        assertRejected(new GgufBytes().header(0x03000000, 0, 0).toByteArray(), "big-endian");
        assertRejected(new GgufBytes().header(3, 1L << 40, 0).toByteArray(), "tensor_count");
        assertRejected(new GgufBytes().header(3, 0, -1).toByteArray(), "metadata_kv_count");
        // a string length of 2⁶⁰ must be refused before anything is allocated
        assertRejected(new GgufBytes().header(3, 0, 1).u64(1L << 60, "len").raw(new byte[16]).toByteArray(), "metadata[0].key length");
        assertRejected(new GgufBytes().header(3, 0, 1).key("k", GgufValueType.STRING).u64(1L << 60, "len").raw(new byte[16]).toByteArray(), "metadata k length");
        assertRejected(new GgufBytes().header(3, 0, 1).str("k").u32(13, "type").u8(0).toByteArray(), "metadata k.type");
        assertRejected(new GgufBytes().header(3, 0, 1).key("k", GgufValueType.ARRAY).u32(GgufValueType.UINT32.id(), "t").u64(1L << 62, "n")
                .toByteArray(), "metadata k.count");
        assertRejected(new GgufBytes().header(3, 0, 1).key("k", GgufValueType.BOOL).u8(2).toByteArray(), "a bool");
        assertRejected(new GgufBytes().header(3, 0, 2).key("k", GgufValueType.BOOL).u8(1).key("k", GgufValueType.BOOL).u8(0).toByteArray(), "each key once");
        GgufBytes deep = new GgufBytes().header(3, 0, 1).key("k", GgufValueType.ARRAY);
        for (int i = 0; i < 40; i++) deep.u32(GgufValueType.ARRAY.id(), "t").u64(1, "n");
        assertRejected(deep.u32(GgufValueType.UINT8.id(), "t").u64(0, "n").toByteArray(), "nested at most");
        assertRejected(new GgufBytes().header(3, 0, 1).key("general.alignment", GgufValueType.UINT32).u32(48, "a").toByteArray(), "general.alignment");
        assertRejected(new GgufBytes().header(3, 0, 1).key("general.alignment", GgufValueType.STRING).str("32").toByteArray(), "expected an integer");
    }

    @Test
    void corruptTensorInfosAreRejectedNamingTheTensor() throws IOException {
        assertRejected(oneTensor(new long[] {1, 1, 1, 1, 1}, 0, 0, 4), "tensor w.n_dims: expected at most 4, found 5");
        assertRejected(oneTensor(new long[] {4, 0}, 0, 0, 16), "tensor w.dims[1]: expected a positive size");
        assertRejected(oneTensor(new long[] {-1}, 0, 0, 16), "dims[0]");
        assertRejected(oneTensor(new long[] {1L << 32, 1L << 32, 1L << 32}, 0, 0, 16), "fits in 63 bits");
        assertRejected(oneTensor(new long[] {1L << 31, 1L << 31}, 0, 0, 16), "a byte size that fits");
        assertRejected(oneTensor(new long[] {4}, 4, 0, 16), "tensor w.type");
        assertRejected(oneTensor(new long[] {33, 2}, 8, 0, 200), "a multiple of 32 (the Q8_0 block size)");
        assertRejected(oneTensor(new long[] {4}, 0, 8, 64), "a multiple of the alignment 32");
        assertRejected(oneTensor(new long[] {8}, 0, 0, 16), "32 bytes (F32 [8]) inside the data section of 16 bytes");
        assertRejected(oneTensor(new long[] {8}, 0, -32, 64), "tensor w.offset");
        byte[] twoOverlapping = new GgufBytes().header(3, 2, 0)
                .tensorInfo("a", new long[] {16}, 0, 0).tensorInfo("b", new long[] {16}, 0, 32).padTo(32).raw(new byte[128]).toByteArray();
        assertRejected(twoOverlapping, "not overlapping tensor a");
        byte[] sameName = new GgufBytes().header(3, 2, 0)
                .tensorInfo("a", new long[] {8}, 0, 0).tensorInfo("a", new long[] {8}, 0, 32).padTo(32).raw(new byte[64]).toByteArray();
        assertRejected(sameName, "each tensor name once");
        assertRejected(oneTensor(g -> g.key("general.alignment", GgufValueType.UINT32).u32(64, "a"), 1, new long[] {8}, 0, 32, 128), "a multiple of the alignment 64");
    }

    @Test
    void writerRefusesWhatTheReaderWouldAndLeavesNoFileBehind() {
        GgufWriter w = new GgufWriter(new GgufMetadata());
        assertThrows(IllegalArgumentException.class, () -> w.add("q", GgmlType.Q8_0, new long[] {2, 33}, out -> {}));
        assertThrows(IllegalArgumentException.class, () -> w.add("z", GgmlType.F32, new long[] {0}, out -> {}));
        assertThrows(IllegalArgumentException.class, () -> w.add("five", GgmlType.F32, new long[] {1, 1, 1, 1, 1}, out -> {}));
        w.add("a", GgmlType.F32, new long[] {2}, out -> out.write(new byte[7])); // one byte short
        assertThrows(IllegalArgumentException.class, () -> w.add("a", GgmlType.F32, new long[] {2}, out -> {}));
        Path p = dir.resolve("short.gguf");
        assertTrue(assertThrows(IllegalStateException.class, () -> w.write(p)).getMessage().contains("wrote 7 bytes"));
        assertFalse(Files.exists(p));
        assertFalse(Files.exists(dir.resolve("short.gguf.tmp")));
    }
}
