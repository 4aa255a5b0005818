package jdlm.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * e^x for a vector, from plain IEEE operations only. {@code lanewise(EXP)} is computed by a
 * platform math library once C2 compiles the caller and by {@code Math.exp} per lane before, and
 * the two differ in the last bit — enough to break bit-exact resumption of a training run. This
 * version gives the same bits in every mode, within about 2 ulp of e^x.
 *
 * <p>Cody–Waite reduction x = n·ln2 + r with |r| ≤ ln2/2 (ln2 split in two parts), the Cephes
 * single-precision polynomial for e^r, and 2^n assembled in the exponent bits. Inputs below −87
 * give 0 (so −∞ → 0, as softmax with masked logits needs), above 88 they saturate at e^88, NaN stays NaN.
 */
final class VectorExp {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final float LO = -87f, HI = 88f;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    /** 1.5·2²³: adding it rounds to an integer held in the low mantissa bits. */
    private static final float ROUNDER = 12582912f;
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    private VectorExp() {}

    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(LO).min(HI);
        FloatVector t = xc.fma(FloatVector.broadcast(F, LOG2E), FloatVector.broadcast(F, ROUNDER));
        FloatVector n = t.sub(ROUNDER);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), xc);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = r.fma(FloatVector.broadcast(F, P0), FloatVector.broadcast(F, P1));
        p = p.fma(r, FloatVector.broadcast(F, P2));
        p = p.fma(r, FloatVector.broadcast(F, P3));
        p = p.fma(r, FloatVector.broadcast(F, P4));
        p = p.fma(r, FloatVector.broadcast(F, P5));
        FloatVector er = p.fma(r.mul(r), r).add(1f);            // 1 + r + r²·p(r)
        IntVector k = ((IntVector) t.reinterpretAsInts()).sub(ROUNDER_BITS);
        FloatVector scale = (FloatVector) k.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector y = er.mul(scale);
        VectorMask<Float> underflow = x.lt(LO);
        y = y.blend(0f, underflow);
        return y.blend(x, x.test(VectorOperators.IS_NAN));      // NaN in, NaN out
    }
}
