package jdlm.sample;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * Which masked positions of the current block a denoising step commits (DESIGN.md §5).
 *
 * <p>The sampler gives each candidate (a masked position of the current block) a score from
 * {@link #score}; every other position scores −∞. {@code probs} is softmax of the (guided,
 * temperature-free, unfiltered) logits with MASK — and EOS when it is suppressed as a choice — at
 * −∞; {@code chosen} is the token the {@link TokenChooser} picked there.
 */
public interface UnmaskingPolicy {

    /** Higher commits first. */
    double score(double[] probs, int vocab, int chosen, RandomGenerator rng);

    /**
     * Positions to commit, a subset of {@code candidates} (ascending positions); {@code scores} is
     * indexed by position. The default commits the {@code step.count()} best scores.
     */
    default int[] select(double[] scores, int[] candidates, BlockStep step, RandomGenerator rng) {
        return highest(scores, candidates, step.count());
    }

    /** The {@code count} candidates with the highest scores, best first (ties: lower position first). */
    static int[] highest(double[] scores, int[] candidates, int count) {
        Integer[] order = new Integer[candidates.length];
        for (int i = 0; i < order.length; i++) order[i] = candidates[i];
        Arrays.sort(order, (a, b) -> {
            int c = Double.compare(scores[b], scores[a]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        int n = Math.min(count, order.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = order[i];
        return out;
    }
}
