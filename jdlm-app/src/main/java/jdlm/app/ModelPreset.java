package jdlm.app;

import jdlm.model.ModelConfig;

/** Named model sizes for {@code --preset}; any field can be overridden by its own option. */
enum ModelPreset {
    /** For tests and smoke runs: trains in seconds. */
    TINY(2, 64, 4, 176, 256),
    /** About 7.6 M parameters with the byte tokenizer: the size of the bundled models. */
    SMALL(6, 320, 5, 864, 256),
    /** About 25 M parameters: a model worth an afternoon of CPU. */
    DEFAULT(8, 512, 8, 1408, 512);

    final int layers, dim, heads, hidden, context;

    ModelPreset(int layers, int dim, int heads, int hidden, int context) {
        this.layers = layers;
        this.dim = dim;
        this.heads = heads;
        this.hidden = hidden;
        this.context = context;
    }

    static ModelPreset named(String name) {
        for (ModelPreset p : values()) if (p.name().equalsIgnoreCase(name)) return p;
        throw new IllegalArgumentException("unknown --preset '" + name + "'; expected tiny, small or default");
    }

    ModelConfig config(int vocab, ModelConfig.AttentionMode mode) {
        return ModelConfig.of(layers, dim, heads, hidden, vocab, context, mode);
    }
}
