package jdlm.format.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import jdlm.format.FormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thousands of seeded mutations of a valid GGUF file: each must be read (and then every tensor's
 * bytes lie inside the file) or refused with a {@link FormatException}; nothing else may be thrown,
 * nothing may hang, and opening may not allocate more than a small multiple of the file's size
 * (so no allocation is sized by a count the file merely claims).
 */
class GgufFuzzTest {
    @TempDir Path dir;

    private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** Metadata of several types and four tensors (two jdlm can compute with, one it cannot). */
    private static GgufBytes valid() {
        GgufBytes g = new GgufBytes().header(3, 4, 7)
                .key("general.architecture", GgufValueType.STRING).str("llada")
                .key("general.alignment", GgufValueType.UINT32).u32(32, "alignment")
                .key("llada.block_count", GgufValueType.UINT32).u32(2, "block_count")
                .key("llada.rope.freq_base", GgufValueType.FLOAT32).u32(Float.floatToIntBits(10000f), "freq_base")
                .key("diffusion.shift_logits", GgufValueType.BOOL).u8(0);
        g.key("tokenizer.ggml.tokens", GgufValueType.ARRAY).u32(GgufValueType.STRING.id(), "elem").u64(20, "count");
        for (int i = 0; i < 20; i++) g.str("tok" + i);
        g.key("tokenizer.ggml.token_type", GgufValueType.ARRAY).u32(GgufValueType.ARRAY.id(), "elem").u64(2, "count")
                .u32(GgufValueType.INT32.id(), "elem").u64(3, "count").u32(1, "v").u32(2, "v").u32(3, "v")
                .u32(GgufValueType.UINT8.id(), "elem").u64(2, "count").u8(7).u8(9);
        g.tensorInfo("token_embd.weight", new long[] {8, 4}, GgmlType.F32.id(), 0)           // 128 bytes
                .tensorInfo("blk.0.attn_q.weight", new long[] {64, 2}, GgmlType.Q8_0.id(), 128) // 136 bytes
                .tensorInfo("blk.0.ffn_up.weight", new long[] {256}, GgmlType.Q4_K.id(), 288)   // 144 bytes
                .tensorInfo("blk.0.ffn_down.weight", new long[] {256}, GgmlType.Q5_K.id(), 448) // 176 bytes, ends at 624
                .padTo(32);
        byte[] data = new byte[624];
        new SplittableRandom(3).nextBytes(data);
        return g.raw(data);
    }

    /** Values that break naive readers: zero, one, negative, sign and width boundaries, huge. */
    private static final long[] NASTY = {0, 1, 2, 3, 4, 5, 7, 13, 31, 32, 33, 255, 256, 65535, Integer.MAX_VALUE, 0x8000_0000L, 0xFFFF_FFFFL,
            1L << 32, 1L << 60, Long.MAX_VALUE, Long.MIN_VALUE, -1, -2, -32};

    private int rejected, accepted;

    @Test
    @Timeout(60)
    void everyMutationIsReadInBoundsOrRejectedWithAFormatException() throws IOException {
        GgufBytes template = valid();
        byte[] good = template.toByteArray();
        Files.write(dir.resolve("fuzz.gguf"), good);
        GgufFile.open(dir.resolve("fuzz.gguf")).close(); // first use loads classes: not counted as allocation
        check(good, "the valid file");
        assertEquals(1, accepted, "the unmutated file must open");
        SplittableRandom r = new SplittableRandom(2024);
        int trials = 0;

        for (int len = 0; len < good.length; len++, trials++) { // every truncation: the last tensor ends at the end of the file
            check(Arrays.copyOf(good, len), "truncated to " + len);
        }
        assertEquals(good.length, rejected, "every truncation loses bytes a tensor needs");

        List<GgufBytes.Field> fields = template.fields;
        for (GgufBytes.Field f : fields) { // every number field set to every nasty value
            for (long v : NASTY) {
                check(overwrite(good, f, v), f.what() + " = " + v);
                trials++;
            }
        }
        for (int i = 0; i < 1500; i++, trials++) { // a random field, off by a little or replaced by random bits
            GgufBytes.Field f = fields.get(r.nextInt(fields.size()));
            long v = r.nextBoolean() ? read(good, f) + r.nextInt(-64, 65) : r.nextLong();
            check(overwrite(good, f, v), f.what() + " = " + v);
        }
        for (int i = 0; i < 1500; i++, trials++) { // random bytes flipped, mostly in the header
            byte[] bad = good.clone();
            int span = r.nextInt(4) == 0 ? bad.length : good.length - 624;
            for (int k = 0; k < 1 + r.nextInt(4); k++) bad[r.nextInt(span)] ^= (byte) (1 + r.nextInt(255));
            check(bad, "flipped bytes, trial " + i);
        }
        List<GgufBytes.Field> offsets = fields.stream().filter(f -> f.what().startsWith("offset of")).toList();
        for (GgufBytes.Field a : offsets) { // tensors moved onto each other
            for (GgufBytes.Field b : offsets) {
                for (long delta : new long[] {-32, 0, 32}) {
                    check(overwrite(good, a, read(good, b) + delta), a.what() + " = " + b.what() + " + " + delta);
                    trials++;
                }
            }
        }
        assertTrue(trials > 3000, "trials: " + trials);
        assertTrue(rejected > trials / 2, "most mutations must be caught: " + rejected + " of " + trials);
        assertTrue(accepted > 10, "some mutations are harmless (e.g. in metadata values): " + accepted);
    }

    private static byte[] overwrite(byte[] good, GgufBytes.Field f, long v) {
        byte[] bad = good.clone();
        for (int i = 0; i < f.width(); i++) bad[f.pos() + i] = (byte) (v >>> (8 * i));
        return bad;
    }

    private static long read(byte[] b, GgufBytes.Field f) {
        long v = 0;
        for (int i = 0; i < f.width(); i++) v |= (b[f.pos() + i] & 0xFFL) << (8 * i);
        return v;
    }

    private void check(byte[] bytes, String what) throws IOException {
        Path p = dir.resolve("fuzz.gguf");
        Files.write(p, bytes);
        long before = THREADS.getCurrentThreadAllocatedBytes();
        try (GgufFile f = GgufFile.open(p)) {
            long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
            assertTrue(allocated < (1 << 20) + 64L * bytes.length, what + ": opening allocated " + allocated + " bytes");
            for (GgufTensorInfo t : f.tensors().values()) {
                assertTrue(t.offset() >= f.dataStart() && t.offset() + t.byteSize() <= bytes.length, what + ": " + t.name() + " out of the file");
                MemorySegment s = f.segment(t.name());
                long sum = 0;
                for (long i = 0; i < s.byteSize(); i++) sum += s.get(ValueLayout.JAVA_BYTE, i);
                if (t.type().quantType() != null) assertEquals(t.byteSize(), f.weight(t.name()).data().byteSize());
                else assertTrue(sum != Long.MIN_VALUE);
            }
            for (String key : f.metadata().asMap().keySet()) f.metadata().describe(key);
            accepted++;
        } catch (FormatException expected) {
            rejected++;
        } catch (RuntimeException | Error e) {
            throw new AssertionError(what + ": " + e, e);
        }
    }
}
