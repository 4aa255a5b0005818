package jdlm.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where each named tensor lives in the one flat parameter buffer (and, at the same offsets, in the
 * gradient buffer and the optimizer's moment buffers). Names follow LLaDA / Llama GGUF conventions
 * so export and import are a rename away. Matrices are stored {@code W[out, in]}.
 */
public final class ParameterLayout {

    /** One named tensor: a shape and an offset into the flat buffer. */
    public record View(String name, int offset, int[] shape) {
        public int size() {
            int s = 1;
            for (int d : shape) s *= d;
            return s;
        }
        public int rows() { return shape[0]; }
        public int cols() { return shape.length > 1 ? shape[1] : 1; }
    }

    /** Offsets of one transformer block's tensors; the q/k/v biases are null unless the config has them. */
    public record Block(View attnNorm, View wq, View wk, View wv, View bq, View bk, View bv, View wo,
                        View ffnNorm, View wGate, View wUp, View wDown) {}

    private final Map<String, View> views = new LinkedHashMap<>();
    private final List<Block> blocks = new ArrayList<>();
    private final View tokenEmbedding;
    private final View outputNorm;
    private final View output;
    private final int size;

    public ParameterLayout(ModelConfig c) {
        long[] next = {0};
        tokenEmbedding = add(c, TensorRole.TOKEN_EMBEDDING, 0, next);
        for (int l = 0; l < c.layers(); l++) {
            View attnNorm = add(c, TensorRole.ATTN_NORM, l, next);
            View wq = add(c, TensorRole.ATTN_Q, l, next);
            View wk = add(c, TensorRole.ATTN_K, l, next);
            View wv = add(c, TensorRole.ATTN_V, l, next);
            blocks.add(new Block(attnNorm, wq, wk, wv,
                    add(c, TensorRole.ATTN_Q_BIAS, l, next),
                    add(c, TensorRole.ATTN_K_BIAS, l, next),
                    add(c, TensorRole.ATTN_V_BIAS, l, next),
                    add(c, TensorRole.ATTN_OUTPUT, l, next),
                    add(c, TensorRole.FFN_NORM, l, next),
                    add(c, TensorRole.FFN_GATE, l, next),
                    add(c, TensorRole.FFN_UP, l, next),
                    add(c, TensorRole.FFN_DOWN, l, next)));
        }
        outputNorm = add(c, TensorRole.OUTPUT_NORM, 0, next);
        output = c.tiedEmbeddings() ? tokenEmbedding : add(c, TensorRole.OUTPUT, 0, next);
        size = (int) next[0];
    }

    /** The next view for {@code role} of layer {@code layer}, or null when this config has no such tensor. */
    private View add(ModelConfig c, TensorRole role, int layer, long[] next) {
        if (!role.presentIn(c)) return null;
        String name = role.name(layer);
        long[] s = role.shape(c);
        long n = 1;
        for (long d : s) n *= d;
        if (next[0] + n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("model too large for one flat float[] buffer: more than "
                    + (Integer.MAX_VALUE - 8) + " parameters at tensor " + name);
        }
        int[] shape = new int[s.length];
        for (int i = 0; i < s.length; i++) shape[i] = (int) s[i];
        View v = new View(name, (int) next[0], shape);
        views.put(name, v);
        next[0] += n;
        return v;
    }

    /** Total number of parameters. */
    public int size() { return size; }

    public View tokenEmbedding() { return tokenEmbedding; }
    public View outputNorm() { return outputNorm; }
    /** The output projection; the token embedding itself when the config ties them. */
    public View output() { return output; }
    public Block block(int layer) { return blocks.get(layer); }

    /** The view with this name; throws with the list of names when there is none. */
    public View view(String name) {
        View v = views.get(name);
        if (v == null) throw new IllegalArgumentException("no parameter named '" + name + "'; known: " + views.keySet());
        return v;
    }

    /** All views in buffer order. */
    public Map<String, View> views() { return Collections.unmodifiableMap(views); }
}
