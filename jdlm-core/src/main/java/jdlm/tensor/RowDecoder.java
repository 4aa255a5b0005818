package jdlm.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Decodes a run of one stored row of any {@link QuantType} into floats, with the Vector API, in
 * exactly GGML's block layouts ({@code ggml-common.h}), so real GGUF files decode to the bits ggml's
 * {@code dequantize_row_*} gives. Every quantised product below is exact in float (a half-precision
 * scale has 11 significant bits, the integer factors at most 13 together), so the order of the
 * multiplications cannot change a bit; only Q4_K's {@code d·sc·q − dmin·m} rounds, once, as in ggml.
 *
 * <p>Layouts (bytes, little-endian; x is the decoded value):
 * <ul>
 * <li>Q8_0, 32 elements in 34 bytes: f16 d, 32 int8 q; {@code x[j] = d·q[j]}.
 * <li>Q4_0, 32 elements in 18 bytes: f16 d, 16 bytes qs; element j &lt; 16 is the low nibble of
 *     qs[j], element j + 16 its high nibble; {@code x = d·(nibble − 8)}.
 * <li>Q4_K, 256 elements in 144 bytes: f16 d, f16 dmin, 12 bytes of eight 6-bit scales and mins,
 *     128 bytes qs. Sub-block i (32 elements) has scale sc_i and min m_i: for i &lt; 4,
 *     {@code sc = s[i] & 63, m = s[i+4] & 63}; for i ≥ 4, {@code sc = (s[i+4] & 15) | (s[i-4] >> 6) << 4},
 *     {@code m = (s[i+4] >> 4) | (s[i] >> 6) << 4}. Elements 64c..64c+31 are the low nibbles of
 *     qs[32c..32c+31] (sub-block 2c), elements 64c+32..64c+63 their high nibbles (sub-block 2c+1);
 *     {@code x = (d·sc)·q − dmin·m}.
 * <li>Q6_K, 256 elements in 210 bytes: ql[128], qh[64], int8 scales[16], f16 d. Each half h of 128
 *     elements uses ql[64h..], qh[32h..], scales[8h..]; for l in 0..31, with a = ql[l], b = ql[l+32],
 *     c = qh[l]: element l is {@code (a & 15) | (c & 3) << 4}, l+32 is {@code (b & 15) | (c >> 2 & 3) << 4},
 *     l+64 is {@code a >> 4 | (c >> 4 & 3) << 4}, l+96 is {@code b >> 4 | (c >> 6) << 4}, each minus 32;
 *     element e of the half has scale scales[e / 16]; {@code x = d·scale·q}.
 * </ul>
 */
final class RowDecoder {
    private RowDecoder() {}

    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Bytes, shorts and ints with as many lanes as a float vector: each converts lane for lane. */
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    private static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, S.vectorShape());

    /**
     * Elements [k0, k0+count) of {@code rows} stored rows, the first at byte {@code rowBase} and the
     * next {@code rowBytes} further on: row r's element k0 + i goes to {@code dst[dstOff + r*ld + i]}.
     * For quantised types k0 and count are whole blocks.
     */
    static void decode(QuantType type, MemorySegment seg, long rowBase, long rowBytes, int rows, int k0, int count,
                       float[] dst, int dstOff, int ld) {
        for (int r = 0; r < rows; r++) {
            long row = rowBase + r * rowBytes;
            int o = dstOff + r * ld;
            switch (type) {
                case F32 -> f32(seg, row + 4L * k0, count, dst, o);
                case F16 -> f16(seg, row + 2L * k0, count, dst, o);
                case BF16 -> bf16(seg, row + 2L * k0, count, dst, o);
                case Q8_0 -> q8_0(seg, row + (long) (k0 / 32) * 34, count / 32, dst, o);
                case Q4_0 -> q4_0(seg, row + (long) (k0 / 32) * 18, count / 32, dst, o);
                case Q4_K -> q4_K(seg, row + (long) (k0 / 256) * 144, count / 256, dst, o);
                case Q6_K -> q6_K(seg, row + (long) (k0 / 256) * 210, count / 256, dst, o);
            }
        }
    }

    /** A plain vector copy: for short runs it beats MemorySegment.copy's per-call checks. */
    private static void f32(MemorySegment seg, long off, int count, float[] dst, int dstOff) {
        int cv = count - count % L, i = 0;
        for (; i < cv; i += L) FloatVector.fromMemorySegment(S, seg, off + 4L * i, LE).intoArray(dst, dstOff + i);
        for (; i < count; i++) dst[dstOff + i] = seg.get(F32, off + 4L * i);
    }

    /** Half to float by bits: exponent and mantissa moved into place and rescaled by 2^112 (exact, subnormals too). */
    private static void f16(MemorySegment seg, long off, int count, float[] dst, int dstOff) {
        int cv = count - count % L, i = 0;
        for (; i < cv; i += L) {
            IntVector h = (IntVector) ShortVector.fromMemorySegment(H, seg, off + 2L * i, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
            IntVector em = h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13);
            FloatVector v = em.reinterpretAsFloats().mul(0x1p112f);
            // infinities and NaNs (exponent 31) keep an all-ones exponent instead of being rescaled
            VectorMask<Integer> special = em.compare(VectorOperators.GE, 0x7C00 << 13);
            IntVector bits = v.reinterpretAsInts().blend(em.or(0x7F800000), special);
            bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats().intoArray(dst, dstOff + i);
        }
        for (; i < count; i++) dst[dstOff + i] = Float.float16ToFloat(seg.get(I16, off + 2L * i));
    }

    private static void bf16(MemorySegment seg, long off, int count, float[] dst, int dstOff) {
        int cv = count - count % L, i = 0;
        for (; i < cv; i += L) {
            ((IntVector) ShortVector.fromMemorySegment(H, seg, off + 2L * i, LE).convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, dstOff + i);
        }
        for (; i < count; i++) dst[dstOff + i] = Float.intBitsToFloat((seg.get(I16, off + 2L * i) & 0xFFFF) << 16);
    }

    private static void q8_0(MemorySegment seg, long off, int blocks, float[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++, off += 34, dstOff += 32) {
            float d = Float.float16ToFloat(seg.get(I16, off));
            for (int j = 0; j < 32; j += L) {
                ((IntVector) ByteVector.fromMemorySegment(B, seg, off + 2 + j, LE).convertShape(VectorOperators.B2I, I, 0))
                        .convertShape(VectorOperators.I2F, S, 0).reinterpretAsFloats().mul(d).intoArray(dst, dstOff + j);
            }
        }
    }

    private static void q4_0(MemorySegment seg, long off, int blocks, float[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++, off += 18, dstOff += 32) {
            float d = Float.float16ToFloat(seg.get(I16, off));
            for (int j = 0; j < 16; j += L) nibbles(seg, off + 2 + j, 8, d, -0f, d, -0f, dst, dstOff + j, dstOff + 16 + j);
        }
    }

    private static void q4_K(MemorySegment seg, long off, int blocks, float[] dst, int dstOff) {
        float[] sc = new float[16];
        for (int b = 0; b < blocks; b++, off += 144, dstOff += 256) {
            q4kScales(seg, off, sc, 0);
            for (int c = 0; c < 4; c++) {
                int o = dstOff + 64 * c;
                for (int j = 0; j < 32; j += L) {
                    nibbles(seg, off + 16 + 32L * c + j, 0, sc[2 * c], sc[8 + 2 * c], sc[2 * c + 1], sc[9 + 2 * c], dst, o + j, o + 32 + j);
                }
            }
        }
    }

    /**
     * The sub-block factors of the Q4_K block at off, {@code w = d·scale_i·q − dmin·min_i}:
     * {@code dst[at + i] = d·scale_i} and {@code dst[at + 8 + i] = −(dmin·min_i)} for sub-blocks i = 0..7.
     * The 12 scale bytes hold eight 6-bit scales and eight 6-bit mins: sub-blocks 0..3 in the low six
     * bits of bytes 0..3 (scales) and 4..7 (mins); sub-blocks 4..7 in the nibbles of bytes 8..11 (low:
     * scale, high: min) with their top two bits in the top bits of bytes 0..3 (scales) and 4..7 (mins).
     */
    static void q4kScales(MemorySegment seg, long off, float[] dst, int at) {
        float d = Float.float16ToFloat(seg.get(I16, off));
        float dmin = Float.float16ToFloat(seg.get(I16, off + 2));
        long s0 = seg.get(I64, off + 4); // the 12 scale bytes as two little-endian words
        int s8 = seg.get(I32, off + 12);
        for (int j = 0; j < 4; j++) {
            int sj = (int) (s0 >>> 8 * j) & 0xFF, mj = (int) (s0 >>> 8 * (j + 4)) & 0xFF, hj = (s8 >>> 8 * j) & 0xFF;
            dst[at + j] = d * (sj & 63);
            dst[at + 8 + j] = -(dmin * (mj & 63));
            dst[at + 4 + j] = d * ((hj & 15) | (sj >> 6) << 4);
            dst[at + 12 + j] = -(dmin * ((hj >> 4) | (mj >> 6) << 4));
        }
    }

    /**
     * L bytes from off: their low nibbles q give {@code dst[lo + i] = (q − bias)·sLo + aLo}, their high
     * nibbles {@code dst[hi + i] = (q − bias)·sHi + aHi}, rounded once: for Q4_0 (aLo = −0, which keeps
     * the sign of a zero product) that is ggml's exact {@code (q − 8)·d}, for Q4_K ggml's
     * {@code d1·q − m1}, whose product is exact. A leaf that loads and stores, so that C2 may inline
     * it or call it without boxing a vector.
     */
    private static void nibbles(MemorySegment seg, long off, int bias, float sLo, float aLo, float sHi, float aHi,
                                float[] dst, int lo, int hi) {
        IntVector q = (IntVector) ByteVector.fromMemorySegment(B, seg, off, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
        FloatVector l = (FloatVector) q.and(15).sub(bias).convertShape(VectorOperators.I2F, S, 0);
        FloatVector h = (FloatVector) q.lanewise(VectorOperators.LSHR, 4).sub(bias).convertShape(VectorOperators.I2F, S, 0);
        l.fma(sLo, aLo).intoArray(dst, lo);
        h.fma(sHi, aHi).intoArray(dst, hi);
    }

    private static void q6_K(MemorySegment seg, long off, int blocks, float[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++, off += 210, dstOff += 256) {
            float d = Float.float16ToFloat(seg.get(I16, off + 208));
            for (int h = 0; h < 2; h++) {
                long ql = off + 64L * h, qh = off + 128 + 32L * h, sc = off + 192 + 8L * h;
                int o = dstOff + 128 * h;
                for (int l = 0; l < 32; l += L) {
                    int is = l / 16;
                    q6Lanes(seg, ql + l, ql + 32 + l, qh + l, d * seg.get(ValueLayout.JAVA_BYTE, sc + is),
                            d * seg.get(ValueLayout.JAVA_BYTE, sc + is + 2), d * seg.get(ValueLayout.JAVA_BYTE, sc + is + 4),
                            d * seg.get(ValueLayout.JAVA_BYTE, sc + is + 6), dst, o + l);
                }
            }
        }
    }

    /**
     * L lanes of each of the four quarters of a Q6_K half: a = ql[l], b = ql[l+32], c = qh[l] give
     * q1..q4 (6 bits) with {@code ((c >> 2k) & 3) << 4} written as shifts of c masked by 0x30, and
     * {@code x = (q − 32)·s}, exact (plus −0, which keeps the sign of a zero product as ggml has it).
     * A leaf like {@link #nibbles}.
     */
    private static void q6Lanes(MemorySegment seg, long qa, long qb, long qc, float s1, float s2, float s3, float s4,
                                float[] dst, int o) {
        IntVector a = (IntVector) ByteVector.fromMemorySegment(B, seg, qa, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
        IntVector b = (IntVector) ByteVector.fromMemorySegment(B, seg, qb, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
        IntVector c = (IntVector) ByteVector.fromMemorySegment(B, seg, qc, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
        IntVector q1 = a.and(15).or(c.lanewise(VectorOperators.LSHL, 4).and(0x30));
        IntVector q2 = b.and(15).or(c.lanewise(VectorOperators.LSHL, 2).and(0x30));
        IntVector q3 = a.lanewise(VectorOperators.LSHR, 4).or(c.and(0x30));
        IntVector q4 = b.lanewise(VectorOperators.LSHR, 4).or(c.lanewise(VectorOperators.LSHR, 2).and(0x30));
        ((FloatVector) q1.sub(32).convertShape(VectorOperators.I2F, S, 0)).fma(s1, -0f).intoArray(dst, o);
        ((FloatVector) q2.sub(32).convertShape(VectorOperators.I2F, S, 0)).fma(s2, -0f).intoArray(dst, o + 32);
        ((FloatVector) q3.sub(32).convertShape(VectorOperators.I2F, S, 0)).fma(s3, -0f).intoArray(dst, o + 64);
        ((FloatVector) q4.sub(32).convertShape(VectorOperators.I2F, S, 0)).fma(s4, -0f).intoArray(dst, o + 96);
    }
}
