package jdlm.sample;

import jdlm.model.Transformer;

/** A bidirectional {@link Transformer} seen as a {@link DenoisingModel}. */
public final class TransformerDenoiser implements DenoisingModel {
    private final Transformer model;

    public TransformerDenoiser(Transformer model) {
        if (model.config().causal()) {
            throw new IllegalArgumentException("denoising needs a bidirectional model; this one is causal (use AutoregressiveSampler)");
        }
        this.model = model;
    }

    @Override public float[] logits(int[] canvas, int batch, int length) { return model.logits(canvas, batch, length); }
    @Override public int vocabSize() { return model.config().vocabSize(); }
    @Override public int contextLength() { return model.config().contextLength(); }
}
