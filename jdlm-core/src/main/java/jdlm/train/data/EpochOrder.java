package jdlm.train.data;

import java.util.SplittableRandom;

/**
 * The order in which a run visits {@code count} items: epoch after epoch, each a Fisher–Yates
 * permutation that is a pure function of (seed, epoch), so item number k of the run can be
 * computed directly (a resumed run sees the same items). One epoch's permutation is cached.
 */
final class EpochOrder {
    private final int count;
    private final long seed;
    private final boolean shuffle;
    private long cachedEpoch = -1;
    private int[] cachedOrder;

    /** @param shuffle false visits items in their natural order every epoch (validation) */
    EpochOrder(int count, long seed, boolean shuffle) {
        if (count < 1) throw new IllegalArgumentException("nothing to visit: count must be positive, got " + count);
        this.count = count;
        this.seed = seed;
        this.shuffle = shuffle;
    }

    int count() {
        return count;
    }

    /** The item visited as number {@code k} of the run. */
    synchronized int itemOf(long k) {
        if (k < 0) throw new IllegalArgumentException("sequence number must be non-negative, got " + k);
        int pos = (int) (k % count);
        return shuffle ? order(k / count)[pos] : pos;
    }

    private int[] order(long epoch) {
        if (epoch != cachedEpoch) {
            int[] p = new int[count];
            for (int i = 0; i < count; i++) p[i] = i;
            SplittableRandom rnd = new SplittableRandom(mix(seed) ^ mix(epoch + 0x9E3779B97F4A7C15L));
            for (int i = count - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int t = p[i];
                p[i] = p[j];
                p[j] = t;
            }
            cachedOrder = p;
            cachedEpoch = epoch;
        }
        return cachedOrder;
    }

    /** SplitMix64 finaliser: neighbouring seeds and epochs give unrelated streams. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
