package jdlm.sample;

/**
 * How K steps are spread over a region of n positions decoded in blocks of b, left to right
 * (LLaDA semi-autoregressive sampling): n/b blocks, K/(n/b) steps each.
 *
 * <p>A block-diffusion model has blocks of its own, counted from position 0 ({@link #aligned}): the
 * first block of the region then holds only the b − offset positions left in the model block the
 * prompt ends in (offset = regionStart mod b; none when the prompt fills whole blocks), and the last
 * may be short too. The K steps are shared as the transfer counts share tokens: ⌊K/blocks⌋ each,
 * one more for the first K mod blocks blocks.
 *
 * @param offset positions of the first block that lie before the region; given as −1, LLaDA blocks
 *               (whole blocks, K divisible by their number), stored as 0
 */
public record TransferSchedule(int steps, int length, int blockLength, int offset) {

    public TransferSchedule {
        if (steps < 1) throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
        if (length < 1) throw new IllegalArgumentException("--length must be at least 1, got " + length);
        boolean llada = offset < 0;
        if (llada) {   // LLaDA's blocks: the region in whole blocks
            if (blockLength < 1 || blockLength > length) {
                throw new IllegalArgumentException("--block must be in [1, " + length + "] (--length), got " + blockLength);
            }
            if (length % blockLength != 0) {
                throw new IllegalArgumentException("--length " + length + " is not divisible by --block " + blockLength);
            }
            offset = 0;
        } else if (blockLength < 1 || offset >= blockLength) {
            throw new IllegalArgumentException("aligned blocks need 0 ≤ offset < block length, got offset " + offset + " and block " + blockLength);
        }
        int blocks = (offset + length + blockLength - 1) / blockLength;
        if (llada && steps % blocks != 0) {
            throw new IllegalArgumentException("--steps " + steps + " is not divisible by the " + blocks
                    + " blocks (--length " + length + " / --block " + blockLength + ")");
        }
        if (steps < blocks) {
            throw new IllegalArgumentException("--steps " + steps + " is fewer than the " + blocks + " blocks (--length " + length
                    + " in the model's blocks of " + blockLength
                    + (offset > 0 ? ", the first " + (blockLength - offset) + " long to finish the block the prompt ends in)" : ")"));
        }
    }

    /** LLaDA's blocks: the region cut into length / blockLength blocks of blockLength. */
    public TransferSchedule(int steps, int length, int blockLength) {
        this(steps, length, blockLength, -1);
    }

    /** A block-diffusion model's blocks, aligned to position 0 for a region starting at {@code regionStart}. */
    public static TransferSchedule aligned(int steps, int length, int blockLength, int regionStart) {
        if (blockLength < 1) throw new IllegalArgumentException("block length must be at least 1, got " + blockLength);
        return new TransferSchedule(steps, length, blockLength, regionStart % blockLength);
    }

    /** Start of block k, relative to the region. */
    public int blockStart(int k) { return Math.max(0, k * blockLength - offset); }

    /** End (exclusive) of block k, relative to the region. */
    public int blockEnd(int k) { return Math.min(length, (k + 1) * blockLength - offset); }

    public int blocks() { return (offset + length + blockLength - 1) / blockLength; }

    /** Steps of block k: K / blocks each, the remainder (aligned blocks only) one more to the first blocks. */
    public int stepsIn(int k) { return transferCount(steps, blocks(), k); }

    /** LLaDA: step k of S commits ⌊N/S⌋ + (k < N mod S ? 1 : 0) of the N masked in the block. */
    public static int transferCount(int masked, int steps, int k) {
        if (steps < 1 || k < 0 || k >= steps || masked < 0) {
            throw new IllegalArgumentException("need masked ≥ 0 and 0 ≤ k < steps, got masked " + masked + ", k " + k + ", steps " + steps);
        }
        return masked / steps + (k < masked % steps ? 1 : 0);
    }

    /** All S counts of a block with N masked, e.g. N=10, S=4 → 3, 3, 2, 2. */
    public static int[] transferCounts(int masked, int steps) {
        int[] c = new int[steps];
        for (int k = 0; k < steps; k++) c[k] = transferCount(masked, steps, k);
        return c;
    }

    /**
     * The count for step k from what is still masked: the LLaDA rule restarted with M masked and
     * S − k steps left, i.e. ⌊M/(S−k)⌋ + (M mod (S−k) > 0). Without remasking this equals
     * transferCount(N, S, k) (the extra tokens come first, so after them M = ⌊N/S⌋(S−k) + (r−k)
     * with r = N mod S); with remasking it absorbs the remasked positions. At the last step it is M.
     */
    public static int remainingCount(int stillMasked, int steps, int k) {
        int left = Math.max(1, steps - k);
        return transferCount(stillMasked, left, 0);
    }
}
