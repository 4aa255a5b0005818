package jdlm.sample;

import jdlm.model.KVCache;
import jdlm.model.Transformer;

/** A bidirectional or block-causal {@link Transformer} seen as a {@link DenoisingModel}, block cache included. */
public final class TransformerDenoiser implements WindowedDenoisingModel {
    private final Transformer model;

    public TransformerDenoiser(Transformer model) {
        if (model.config().causal()) {
            throw new IllegalArgumentException("denoising needs a bidirectional or block-causal model; this one is causal (use AutoregressiveSampler)");
        }
        this.model = model;
    }

    private record LayerCache(KVCache kv) implements Cache {}

    @Override public float[] logits(int[] canvas, int batch, int length) { return model.logits(canvas, batch, length); }
    @Override public int vocabSize() { return model.config().vocabSize(); }
    @Override public int contextLength() { return model.config().contextLength(); }
    @Override public int blockSize() { return model.config().blockSize(); }

    @Override public Cache newCache(int length) { return new LayerCache(new KVCache(model.config(), length)); }

    @Override public float[] logits(int[] row, int length, Cache cache) {
        return model.forwardCaching(((LayerCache) cache).kv(), row, length).clone();
    }

    @Override public float[] windowLogits(int[] row, int lo, int hi, Cache cache) {
        return model.forwardWindow(((LayerCache) cache).kv(), row, lo, hi);
    }
}
