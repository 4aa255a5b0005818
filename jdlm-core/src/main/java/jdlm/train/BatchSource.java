package jdlm.train;

/**
 * Clean training or validation sequences. The batch of a given index is always the same, so a
 * resumed run sees exactly the batches the uninterrupted run would have seen.
 */
public interface BatchSource {

    /** Fills {@code out[0 .. batch·seqLen)} with batch number {@code index}. */
    void fill(long index, int[] out, int batch, int seqLen);

    /**
     * As {@link #fill}, and writes each sequence's prompt length (its first tokens that are
     * conditioning, never noised and never scored: SFT) into {@code promptLengths[0 .. batch)}.
     * Plain text has no prompts.
     */
    default void fill(long index, int[] out, int[] promptLengths, int batch, int seqLen) {
        fill(index, out, batch, seqLen);
        java.util.Arrays.fill(promptLengths, 0, batch, 0);
    }
}
