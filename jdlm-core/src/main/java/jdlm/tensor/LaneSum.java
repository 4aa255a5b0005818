package jdlm.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The sum of a vector's lanes in a fixed order. {@code reduceLanes(ADD)} leaves the order of a
 * float reduction unspecified, and C2's intrinsic really does add in a different order than the
 * interpreter, so the same inputs gave different bits before and after JIT compilation — and a
 * resumed training run drifted from the uninterrupted one. A fixed pairwise tree of lanewise adds
 * is the same in every mode.
 */
final class LaneSum {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Lane j ← lane (j + h) mod n for h = n/2, n/4, …, 1. */
    private static final VectorShuffle<Float>[] FOLDS = folds();

    private LaneSum() {}

    static float of(FloatVector v) {
        for (VectorShuffle<Float> fold : FOLDS) v = v.add(v.rearrange(fold));
        return v.lane(0);
    }

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] folds() {
        int n = F.length(), steps = Integer.numberOfTrailingZeros(n);
        VectorShuffle<Float>[] s = new VectorShuffle[steps];
        for (int i = 0, h = n / 2; h >= 1; i++, h /= 2) {
            int half = h;
            s[i] = VectorShuffle.fromOp(F, j -> (j + half) % n);
        }
        return s;
    }
}
