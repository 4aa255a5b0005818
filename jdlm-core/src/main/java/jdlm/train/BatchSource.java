package jdlm.train;

/**
 * Clean training or validation sequences. The batch of a given index is always the same, so a
 * resumed run sees exactly the batches the uninterrupted run would have seen.
 */
public interface BatchSource {

    /** Fills {@code out[0 .. batch·seqLen)} with batch number {@code index}. */
    void fill(long index, int[] out, int batch, int seqLen);
}
