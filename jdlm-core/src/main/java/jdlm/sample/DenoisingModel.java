package jdlm.sample;

/**
 * What a sampler may ask of a model (DESIGN.md §1): "give me logits for this canvas". Tests
 * implement it with hand-made logits; {@link TransformerDenoiser} adapts a {@code Transformer}.
 */
public interface DenoisingModel {

    /**
     * Logits [batch·length, vocab] for {@code batch} rows of {@code length} tokens each (row b·length + t).
     * The array is fresh: the caller owns it and may modify it.
     */
    float[] logits(int[] canvas, int batch, int length);

    int vocabSize();

    /** Longest row the model accepts. */
    int contextLength();

    /** A block-diffusion model's block length (its blocks start at position 0); 0 for any other model. */
    default int blockSize() { return 0; }
}
