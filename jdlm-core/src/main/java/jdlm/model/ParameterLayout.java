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

    /** Offsets of one transformer block's tensors. */
    public record Block(View attnNorm, View wq, View wk, View wv, View wo,
                        View ffnNorm, View wGate, View wUp, View wDown) {}

    private final Map<String, View> views = new LinkedHashMap<>();
    private final List<Block> blocks = new ArrayList<>();
    private final View tokenEmbedding;
    private final View outputNorm;
    private final View output;
    private final int size;

    public ParameterLayout(ModelConfig c) {
        long[] next = {0};
        tokenEmbedding = add("token_embd.weight", next, c.vocabSize(), c.dim());
        for (int l = 0; l < c.layers(); l++) {
            String p = "blk." + l + ".";
            blocks.add(new Block(
                    add(p + "attn_norm.weight", next, c.dim()),
                    add(p + "attn_q.weight", next, c.qDim(), c.dim()),
                    add(p + "attn_k.weight", next, c.kvDim(), c.dim()),
                    add(p + "attn_v.weight", next, c.kvDim(), c.dim()),
                    add(p + "attn_output.weight", next, c.dim(), c.qDim()),
                    add(p + "ffn_norm.weight", next, c.dim()),
                    add(p + "ffn_gate.weight", next, c.hiddenDim(), c.dim()),
                    add(p + "ffn_up.weight", next, c.hiddenDim(), c.dim()),
                    add(p + "ffn_down.weight", next, c.dim(), c.hiddenDim())));
        }
        outputNorm = add("output_norm.weight", next, c.dim());
        output = add("output.weight", next, c.vocabSize(), c.dim());
        size = (int) next[0];
    }

    private View add(String name, long[] next, int... shape) {
        long n = 1;
        for (int d : shape) n *= d;
        if (next[0] + n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("model too large for one flat float[] buffer: more than "
                    + (Integer.MAX_VALUE - 8) + " parameters at tensor " + name);
        }
        View v = new View(name, (int) next[0], shape.clone());
        views.put(name, v);
        next[0] += n;
        return v;
    }

    /** Total number of parameters. */
    public int size() { return size; }

    public View tokenEmbedding() { return tokenEmbedding; }
    public View outputNorm() { return outputNorm; }
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
