package jdlm.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Pins GGML's block layouts with blocks built and decoded by hand (independent of the quantiser), a
 * scalar decoder written straight from the layout against the vector one on random bytes, and the
 * quantise → dequantise error against each format's derived bound.
 */
class QuantizerTest {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static float[] decode(QuantType type, byte[] bytes) {
        int n = (int) (bytes.length / type.blockBytes() * type.blockSize());
        float[] out = new float[n];
        Quantizer.dequantizeRow(type, MemorySegment.ofArray(bytes), 0, n, out, 0);
        return out;
    }

    private static void putHalf(byte[] b, int off, float v) {
        short h = Float.floatToFloat16(v);
        b[off] = (byte) h;
        b[off + 1] = (byte) (h >> 8);
    }

    @Test
    void q8_0HandBuiltBlockIsScaleTimesSignedByte() {
        byte[] b = new byte[34];
        putHalf(b, 0, 0.5f);
        for (int j = 0; j < 32; j++) b[2 + j] = (byte) (j - 16);
        b[2 + 31] = (byte) -128;
        float[] x = decode(QuantType.Q8_0, b);
        assertEquals(-8.0f, x[0]);
        assertEquals(0.0f, x[16]);
        assertEquals(7.0f, x[30]);
        assertEquals(-64.0f, x[31]);
    }

    @Test
    void q4_0HandBuiltBlockHasLowNibblesFirst() {
        byte[] b = new byte[18];
        putHalf(b, 0, 2.0f);
        for (int j = 0; j < 16; j++) b[2 + j] = (byte) (j | (15 - j) << 4);
        float[] x = decode(QuantType.Q4_0, b);
        assertEquals(-16f, x[0]);   // low nibble of qs[0] = 0
        assertEquals(14f, x[15]);   // low nibble of qs[15] = 15
        assertEquals(14f, x[16]);   // high nibble of qs[0] = 15
        assertEquals(-16f, x[31]);  // high nibble of qs[15] = 0
        assertEquals(-4f, x[6]);
        assertEquals(2f, x[22]);    // high nibble of qs[6] = 9
    }

    @Test
    void q4_KHandBuiltBlockUnpacksSixBitScalesAndMins() {
        byte[] b = new byte[144];
        putHalf(b, 0, 1.0f);  // d
        putHalf(b, 2, 0.5f);  // dmin
        // scales 1,2,3,4,17,33,50,63 and mins 0,5,10,63,16,32,48,1, packed by hand
        int[] packed = {0x41, 0x82, 0xC3, 0xC4, 0x40, 0x85, 0xCA, 0x3F, 0x01, 0x01, 0x02, 0x1F};
        for (int i = 0; i < 12; i++) b[4 + i] = (byte) packed[i];
        for (int k = 0; k < 128; k++) b[16 + k] = (byte) ((k % 16) | (15 - k % 16) << 4);
        float[] x = decode(QuantType.Q4_K, b);
        assertEquals(0f, x[0]);        // sub-block 0, q 0: 1·0 − 0.5·0
        assertEquals(5f, x[5]);        // sub-block 0, q 5
        assertEquals(11.5f, x[40]);    // sub-block 1 (high nibbles of qs[0..31]), q 7: 2·7 − 0.5·5
        assertEquals(4f, x[67]);       // sub-block 2, q 3: 3·3 − 0.5·10
        assertEquals(-31.5f, x[127]);  // sub-block 3, q 0: −0.5·63
        assertEquals(9f, x[145]);      // sub-block 4, q 1: 17 − 0.5·16
        assertEquals(479f, x[160]);    // sub-block 5, q 15: 33·15 − 0.5·32
        assertEquals(-24f, x[192]);    // sub-block 6, q 0: −0.5·48
        assertEquals(881.5f, x[225]);  // sub-block 7, q 14: 63·14 − 0.5·1
    }

    @Test
    void q6_KHandBuiltBlockCombinesLowAndHighBitsWithSignedScales() {
        byte[] b = new byte[210];
        for (int k = 0; k < 128; k++) b[k] = (byte) k;              // ql
        for (int k = 0; k < 64; k++) b[128 + k] = (byte) (k * 37);  // qh
        for (int i = 0; i < 16; i++) b[192 + i] = (byte) (i - 8);   // scales −8..7
        putHalf(b, 208, 0.25f);
        float[] x = decode(QuantType.Q6_K, b);
        assertEquals(64f, x[0]);       // ql[0]=0, qh[0]=0: q=−32, scale −8
        assertEquals(-7.5f, x[37]);    // ql[37]&15=5, qh[5]=185 bits 2-3 = 2: q=5, scale −6
        assertEquals(16f, x[70]);      // ql[6]>>4=0, qh[6]=222 bits 4-5 = 1: q=−16, scale −4
        assertEquals(-1f, x[100]);     // ql[36]>>4=2, qh[4]=148 bits 6-7 = 2: q=2, scale −2
        assertEquals(-28f, x[200]);    // second half: ql[72]>>4=4, qh[40]=200 bits 4-5 = 0: q=−28, scale 4
        assertEquals(-43.75f, x[255]); // ql[127]>>4=7, qh[63]=27 bits 6-7 = 0: q=−25, scale 7
    }

    @Test
    void halfAndBfloatDecodeEveryBitPattern() {
        byte[] b = new byte[2 * 65536];
        for (int h = 0; h < 65536; h++) {
            b[2 * h] = (byte) h;
            b[2 * h + 1] = (byte) (h >> 8);
        }
        float[] f16 = decode(QuantType.F16, b), bf16 = decode(QuantType.BF16, b);
        for (int h = 0; h < 65536; h++) {
            float want = Float.float16ToFloat((short) h);
            assertTrue(Float.floatToIntBits(want) == Float.floatToIntBits(f16[h]), "f16 " + Integer.toHexString(h));
            assertEquals(Float.intBitsToFloat(h << 16), bf16[h], "bf16 " + Integer.toHexString(h));
        }
    }

    /** Q4_K sub-block i's 6-bit scale, from the block at o. */
    private static int q4kScale(MemorySegment s, long o, int i) {
        int[] sb = new int[12];
        for (int k = 0; k < 12; k++) sb[k] = s.get(ValueLayout.JAVA_BYTE, o + 4 + k) & 0xFF;
        return i < 4 ? sb[i] & 63 : (sb[i + 4] & 15) | (sb[i - 4] >> 6) << 4;
    }

    /** A scalar decoder written from the layouts in RowDecoder's comment, one element at a time. */
    private static float scalarDecode(QuantType type, MemorySegment s, int e) {
        switch (type) {
            case Q8_0 -> {
                long o = e / 32 * 34L;
                return Float.float16ToFloat(s.get(I16, o)) * s.get(ValueLayout.JAVA_BYTE, o + 2 + e % 32);
            }
            case Q4_0 -> {
                long o = e / 32 * 18L;
                int j = e % 32, q = s.get(ValueLayout.JAVA_BYTE, o + 2 + j % 16) & 0xFF;
                return Float.float16ToFloat(s.get(I16, o)) * ((j < 16 ? q & 15 : q >> 4) - 8);
            }
            case Q4_K -> {
                long o = e / 256 * 144L;
                int j = e % 256, sub = j / 32, c = j / 64;
                int[] sb = new int[12];
                for (int i = 0; i < 12; i++) sb[i] = s.get(ValueLayout.JAVA_BYTE, o + 4 + i) & 0xFF;
                int sc = q4kScale(s, o, sub);
                int m = sub < 4 ? sb[sub + 4] & 63 : (sb[sub + 4] >> 4) | (sb[sub] >> 6) << 4;
                int byteQ = s.get(ValueLayout.JAVA_BYTE, o + 16 + 32L * c + j % 32) & 0xFF;
                int q = (j % 64) < 32 ? byteQ & 15 : byteQ >> 4;
                float d = Float.float16ToFloat(s.get(I16, o)), dmin = Float.float16ToFloat(s.get(I16, o + 2));
                return d * sc * q - dmin * m;
            }
            case Q6_K -> {
                long o = e / 256 * 210L;
                int j = e % 256, h = j / 128, w = j % 128, l = w % 32, g = w / 32;
                int ql = s.get(ValueLayout.JAVA_BYTE, o + 64L * h + l + (g % 2 == 1 ? 32 : 0)) & 0xFF;
                int qh = s.get(ValueLayout.JAVA_BYTE, o + 128 + 32L * h + l) & 0xFF;
                int q = ((g < 2 ? ql & 15 : ql >> 4) | ((qh >> (2 * g)) & 3) << 4) - 32;
                int sc = s.get(ValueLayout.JAVA_BYTE, o + 192 + 8L * h + w / 16);
                return Float.float16ToFloat(s.get(I16, o + 208)) * sc * q;
            }
            default -> throw new AssertionError(type);
        }
    }

    @Test
    void vectorDecodeEqualsScalarLayoutOnRandomBlocks() {
        Random rnd = new Random(11);
        for (QuantType type : new QuantType[] {QuantType.Q8_0, QuantType.Q4_0, QuantType.Q4_K, QuantType.Q6_K}) {
            int blocks = 9, n = blocks * type.blockSize();
            byte[] b = new byte[blocks * type.blockBytes()];
            rnd.nextBytes(b);
            for (int k = 0; k < blocks; k++) { // finite half scales at their offsets
                int o = k * type.blockBytes();
                if (type == QuantType.Q6_K) {
                    putHalf(b, o + 208, (float) rnd.nextGaussian());
                } else {
                    putHalf(b, o, (float) rnd.nextGaussian());
                    if (type == QuantType.Q4_K) putHalf(b, o + 2, (float) rnd.nextGaussian());
                }
            }
            float[] x = decode(type, b);
            MemorySegment seg = MemorySegment.ofArray(b);
            for (int e = 0; e < n; e++) assertEquals(scalarDecode(type, seg, e), x[e], type + " element " + e);
        }
    }

    @Test
    void q8_0QuantisesLikeGgmlRoundingHalvesAwayFromZero() {
        float[] x = new float[32];
        x[0] = 127f;     // amax: d = 1 exactly
        x[1] = -2.5f;    // roundf: −3 (Math.round would give −2)
        x[2] = 2.5f;
        x[3] = -63.5f;
        x[4] = 0.49f;
        byte[] b = new byte[34];
        Quantizer.quantizeRow(QuantType.Q8_0, x, 0, 32, MemorySegment.ofArray(b), 0);
        assertEquals(Float.floatToFloat16(1f), (short) ((b[0] & 0xFF) | b[1] << 8));
        assertEquals(127, b[2]);
        assertEquals(-3, b[3]);
        assertEquals(3, b[4]);
        assertEquals(-64, b[5]);
        assertEquals(0, b[6]);
    }

    @Test
    void q4_0QuantisesLikeGgmlFromTheSignedMaximum() {
        float[] x = new float[32];
        x[3] = -16f;   // the largest magnitude, negative: d = −16/−8 = 2, id = 0.5
        x[5] = 16f;    // 8 + 8.5 → 16, clamped to 15: decodes to 14
        x[6] = 3f;     // 1.5 + 8.5 = 10
        x[7] = -3f;    // −1.5 + 8.5 = 7 (halves round up)
        x[20] = 1f;    // 0.5 + 8.5 = 9, high nibble of qs[4]
        byte[] b = new byte[18];
        Quantizer.quantizeRow(QuantType.Q4_0, x, 0, 32, MemorySegment.ofArray(b), 0);
        assertEquals(Float.floatToFloat16(2f), (short) ((b[0] & 0xFF) | b[1] << 8));
        assertEquals(0, b[2 + 3] & 15);
        assertEquals(15, b[2 + 5] & 15);
        assertEquals(10, b[2 + 6] & 15);
        assertEquals(7, b[2 + 7] & 15);
        assertEquals(8, b[2 + 0] & 15);
        assertEquals(9, (b[2 + 4] & 0xFF) >> 4);
        float[] y = decode(QuantType.Q4_0, b);
        assertEquals(14f, y[5]);
        assertEquals(4f, y[6]);
        assertEquals(-2f, y[7]);
    }

    /** Rows whose blocks mix scales over six decades, an all-zero stretch and lone outliers. */
    private static float[] testData(int n, long seed) {
        Random rnd = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            double scale = Math.pow(10, (i / 32) % 7 - 4);
            x[i] = (float) (rnd.nextGaussian() * scale);
            if (rnd.nextInt(97) == 0) x[i] *= 40;
        }
        for (int i = 256; i < 320 && i < n; i++) x[i] = 0f;
        return x;
    }

    private static float[] roundTrip(QuantType type, float[] x, MemorySegment[] stored) {
        MemorySegment seg = MemorySegment.ofArray(new byte[(int) type.bytesFor(x.length)]);
        Quantizer.quantizeRow(type, x, 0, x.length, seg, 0);
        stored[0] = seg;
        float[] y = new float[x.length];
        Quantizer.dequantizeRow(type, seg, 0, x.length, y, 0);
        return y;
    }

    private static final int N = 256 * 12;

    /**
     * Q8_0: q = roundf(x·(1/d)) with d = amax/127 is within d/2 of x/d (plus the float rounding of
     * 1/d and the product, a few ulps of 127), and the stored scale d16 moves q·d by at most
     * 127·|d − d16|: |x − q·d16| ≤ d·(1/2 + 1e-4) + 127·|d − d16|.
     */
    @Test
    void q8_0RoundTripIsWithinHalfAStep() {
        float[] x = testData(N, 1);
        MemorySegment[] s = new MemorySegment[1];
        float[] y = roundTrip(QuantType.Q8_0, x, s);
        for (int b = 0; b < N / 32; b++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[32 * b + j]));
            double d = amax / 127f, d16 = Float.float16ToFloat(s[0].get(I16, 34L * b));
            double bound = d * (0.5 + 1e-4) + 127 * Math.abs(d - d16);
            for (int j = 0; j < 32; j++) {
                int i = 32 * b + j;
                assertTrue(Math.abs(x[i] - y[i]) <= bound, "Q8_0 element " + i + ": " + x[i] + " → " + y[i] + ", bound " + bound);
            }
        }
    }

    /**
     * Q4_0: with d = max/−8, v = x/d lies in [−8, 8]; trunc(v + 8.5) − 8 is v rounded (|err| ≤ |d|/2)
     * except where the clamp to 15 bites, v &gt; 7.5 (x opposite to max and |x| &gt; 15/16·|max|), where
     * |err| ≤ |d|; the stored scale adds at most 8·|d − d16|.
     */
    @Test
    void q4_0RoundTripIsWithinHalfAStepExceptAtTheClamp() {
        float[] x = testData(N, 2);
        MemorySegment[] s = new MemorySegment[1];
        float[] y = roundTrip(QuantType.Q4_0, x, s);
        for (int b = 0; b < N / 32; b++) {
            float amax = 0, max = 0;
            for (int j = 0; j < 32; j++) {
                if (amax < Math.abs(x[32 * b + j])) {
                    amax = Math.abs(x[32 * b + j]);
                    max = x[32 * b + j];
                }
            }
            double d = max / -8f, d16 = Float.float16ToFloat(s[0].get(I16, 18L * b));
            for (int j = 0; j < 32; j++) {
                int i = 32 * b + j;
                boolean clamped = d != 0 && x[i] / d > 7.5;
                double bound = Math.abs(d) * ((clamped ? 1 : 0.5) + 1e-4) + 8 * Math.abs(d - d16);
                assertTrue(Math.abs(x[i] - y[i]) <= bound, "Q4_0 element " + i + ": " + x[i] + " → " + y[i] + ", bound " + bound);
            }
        }
    }

    /**
     * Q4_K: the quantiser rounds mins and steps up so that sub-block i's grid S_i·q − M_i (q in 0..15)
     * spans its values, so |err| ≤ S_i/2 (S_i = d·sc_i as stored, plus float rounding); and the grid is
     * not needlessly coarse: S_i ≤ (max_i − min(0, min_i) + dmin)/15 + d.
     */
    @Test
    void q4_KRoundTripIsWithinHalfItsSubBlockStep() {
        float[] x = testData(N, 3);
        MemorySegment[] s = new MemorySegment[1];
        float[] y = roundTrip(QuantType.Q4_K, x, s);
        for (int b = 0; b < N / 256; b++) {
            long o = 144L * b;
            double d = Float.float16ToFloat(s[0].get(I16, o)), dmin = Float.float16ToFloat(s[0].get(I16, o + 2));
            for (int i = 0; i < 8; i++) {
                double step = d * q4kScale(s[0], o, i);
                double lo = 0, hi = -Double.MAX_VALUE;
                for (int j = 0; j < 32; j++) {
                    int e = 256 * b + 32 * i + j;
                    lo = Math.min(lo, x[e]);
                    hi = Math.max(hi, x[e]);
                }
                assertTrue(step <= (hi - lo + dmin) / 15 * (1 + 1e-5) + d, "Q4_K step " + step + " for range " + lo + ".." + hi);
                for (int j = 0; j < 32; j++) {
                    int e = 256 * b + 32 * i + j;
                    double bound = step / 2 * (1 + 1e-4) + 1e-6 * (Math.abs(x[e]) + Math.abs(lo));
                    assertTrue(Math.abs(x[e] - y[e]) <= bound, "Q4_K element " + e + ": " + x[e] + " → " + y[e] + ", bound " + bound);
                }
            }
        }
    }

    /**
     * Q6_K: grid S_i·q, q in −31..31, with S_i = d·sc_i ≥ amax_i/31 (scales rounded up): |err| ≤ S_i/2,
     * and S_i ≤ amax_i/31 + d.
     */
    @Test
    void q6_KRoundTripIsWithinHalfItsSubBlockStep() {
        float[] x = testData(N, 4);
        MemorySegment[] s = new MemorySegment[1];
        float[] y = roundTrip(QuantType.Q6_K, x, s);
        for (int b = 0; b < N / 256; b++) {
            long o = 210L * b;
            double d = Float.float16ToFloat(s[0].get(I16, o + 208));
            for (int i = 0; i < 16; i++) {
                double step = d * s[0].get(ValueLayout.JAVA_BYTE, o + 192 + i);
                double amax = 0;
                for (int j = 0; j < 16; j++) amax = Math.max(amax, Math.abs(x[256 * b + 16 * i + j]));
                assertTrue(step >= 0 && step <= amax / 31 * (1 + 1e-5) + d, "Q6_K step " + step + " for amax " + amax);
                for (int j = 0; j < 16; j++) {
                    int e = 256 * b + 16 * i + j;
                    double bound = step / 2 * (1 + 1e-4) + 1e-6 * Math.abs(x[e]);
                    assertTrue(Math.abs(x[e] - y[e]) <= bound, "Q6_K element " + e + ": " + x[e] + " → " + y[e] + ", bound " + bound);
                }
            }
        }
    }

    /** F32 is exact; F16 and BF16 round to nearest: relative error ≤ 2^-11 and 2^-8 (normal range, |x| ≥ 2^-14 for F16). */
    @Test
    void floatFormatsRoundTripWithinHalfAnUlp() {
        float[] x = testData(N, 5);
        MemorySegment[] s = new MemorySegment[1];
        float[] f32 = roundTrip(QuantType.F32, x, s), f16 = roundTrip(QuantType.F16, x, s), bf16 = roundTrip(QuantType.BF16, x, s);
        for (int i = 0; i < N; i++) {
            assertEquals(x[i], f32[i]);
            double a = Math.abs(x[i]);
            assertTrue(Math.abs(x[i] - bf16[i]) <= a * 0x1p-8, "BF16 " + x[i] + " → " + bf16[i]);
            double bound = a >= 0x1p-14 ? a * 0x1p-11 : 0x1p-25;
            assertTrue(Math.abs(x[i] - f16[i]) <= bound, "F16 " + x[i] + " → " + f16[i]);
        }
    }

    @Test
    void quantizedMatrixHasRowBlockedLayout() {
        float[] x = testData(3 * 64, 6);
        try (Arena arena = Arena.ofConfined()) {
            WeightTensor w = Quantizer.quantize("w", QuantType.Q8_0, x, 0, 3, 64, arena);
            assertEquals(3 * 2 * 34, w.data().byteSize());
            float[] row = new float[64], ref = new float[64];
            WeightMatmul.dequantizeRow(w, 2, row, 0);
            MemorySegment one = MemorySegment.ofArray(new byte[68]);
            Quantizer.quantizeRow(QuantType.Q8_0, x, 128, 64, one, 0);
            Quantizer.dequantizeRow(QuantType.Q8_0, one, 0, 64, ref, 0);
            for (int i = 0; i < 64; i++) assertEquals(ref[i], row[i]);
        }
    }

    @Test
    void badInputIsRejectedClearly() {
        MemorySegment seg = MemorySegment.ofArray(new byte[1024]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Quantizer.quantizeRow(QuantType.Q4_K, new float[300], 0, 300, seg, 0));
        assertTrue(e.getMessage().contains("Q4_K") && e.getMessage().contains("256"), e.getMessage());
        float[] nan = new float[32];
        nan[7] = Float.NaN;
        e = assertThrows(IllegalArgumentException.class, () -> Quantizer.quantizeRow(QuantType.Q8_0, nan, 0, 32, seg, 0));
        assertTrue(e.getMessage().contains("element 7"), e.getMessage());
        float[] huge = new float[32];
        huge[0] = 3e38f;
        e = assertThrows(IllegalArgumentException.class, () -> Quantizer.quantizeRow(QuantType.Q4_0, huge, 0, 32, seg, 0));
        assertTrue(e.getMessage().contains("too large"), e.getMessage());
    }
}
