package jdlm.model;

/**
 * Keys and values of every layer for the positions a causal model has already seen, so that
 * appending a token costs one row of work instead of a whole forward pass. Keys are stored after
 * the rotary embedding, at their absolute positions.
 */
public final class KVCache {
    final float[][] k;   // [layers][capacity · kvDim]
    final float[][] v;
    final int capacity;
    int length;
    Activations scratch; // reused for repeated appends of the same size (token-by-token decoding)

    public KVCache(ModelConfig c, int capacity) {
        if (capacity < 1 || capacity > c.contextLength()) {
            throw new IllegalArgumentException("KV cache capacity must be in [1, " + c.contextLength() + "], got " + capacity);
        }
        this.capacity = capacity;
        k = new float[c.layers()][capacity * c.kvDim()];
        v = new float[c.layers()][capacity * c.kvDim()];
    }

    /** Number of positions cached so far; the next token goes to this position. */
    public int length() { return length; }

    public int capacity() { return capacity; }

    /** Forgets everything cached (the buffers are reused). */
    public void clear() { length = 0; }
}
