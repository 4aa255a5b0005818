package jdlm.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import jdlm.tensor.WeightMatmul;
import jdlm.tensor.WeightTensor;

/**
 * Everything the inference forward pass reads: matrices (flat or memory-mapped, see {@link Matrix}),
 * and the small vectors (norm gains, q/k/v biases) as float slices. Training never goes through
 * this: it works on the flat buffer via {@link ParameterLayout}.
 */
public record ModelWeights(Matrix tokenEmbedding, List<Layer> layers, Slice outputNorm, Matrix output) {

    /** {@code array[offset ..]}: a norm gain or a bias vector. */
    public record Slice(float[] array, int offset) {}

    /** One transformer block; the biases are null when the model has none. */
    public record Layer(Slice attnNorm, Matrix wq, Matrix wk, Matrix wv, Slice bq, Slice bk, Slice bv, Matrix wo,
                        Slice ffnNorm, Matrix gate, Matrix up, Matrix down) {}

    public ModelWeights {
        layers = List.copyOf(layers);
    }

    /** Views of the live training buffer (no copy: optimizer updates are seen by the next forward). */
    static ModelWeights flat(ModelConfig c, ParameterLayout layout, float[] p) {
        List<Layer> layers = new ArrayList<>();
        for (int l = 0; l < c.layers(); l++) {
            ParameterLayout.Block b = layout.block(l);
            layers.add(new Layer(slice(p, b.attnNorm()), new FlatMatrix(p, b.wq()), new FlatMatrix(p, b.wk()), new FlatMatrix(p, b.wv()),
                    slice(p, b.bq()), slice(p, b.bk()), slice(p, b.bv()), new FlatMatrix(p, b.wo()),
                    slice(p, b.ffnNorm()), new FlatMatrix(p, b.wGate()), new FlatMatrix(p, b.wUp()), new FlatMatrix(p, b.wDown())));
        }
        return new ModelWeights(new FlatMatrix(p, layout.tokenEmbedding()), layers, slice(p, layout.outputNorm()),
                new FlatMatrix(p, layout.output()));
    }

    private static Slice slice(float[] p, ParameterLayout.View v) {
        return v == null ? null : new Slice(p, v.offset());
    }

    /** Where imported tensors come from: the tensor of a role in a layer (layer 0 for whole-model tensors). */
    @FunctionalInterface
    public interface Source {
        /** The tensor; throws its own clear error (naming the file and the tensor) when there is none. */
        WeightTensor tensor(TensorRole role, int layer);
    }

    /**
     * Imported weights. {@code tensorFor} gives the tensor of each role present in the config. Every
     * shape is checked against the config; a mismatch is an {@link IllegalArgumentException} naming
     * the tensor as the file names it. Matrices stay mapped; gains and biases (a few thousand
     * floats each) are dequantised once.
     */
    public static ModelWeights mapped(ModelConfig c, Source tensorFor) {
        List<Layer> layers = new ArrayList<>();
        for (int l = 0; l < c.layers(); l++) {
            layers.add(new Layer(vector(c, TensorRole.ATTN_NORM, l, tensorFor),
                    matrix(c, TensorRole.ATTN_Q, l, tensorFor), matrix(c, TensorRole.ATTN_K, l, tensorFor), matrix(c, TensorRole.ATTN_V, l, tensorFor),
                    vector(c, TensorRole.ATTN_Q_BIAS, l, tensorFor), vector(c, TensorRole.ATTN_K_BIAS, l, tensorFor),
                    vector(c, TensorRole.ATTN_V_BIAS, l, tensorFor), matrix(c, TensorRole.ATTN_OUTPUT, l, tensorFor),
                    vector(c, TensorRole.FFN_NORM, l, tensorFor), matrix(c, TensorRole.FFN_GATE, l, tensorFor),
                    matrix(c, TensorRole.FFN_UP, l, tensorFor), matrix(c, TensorRole.FFN_DOWN, l, tensorFor)));
        }
        Matrix embedding = matrix(c, TensorRole.TOKEN_EMBEDDING, 0, tensorFor);
        Matrix output = c.tiedEmbeddings() ? embedding : matrix(c, TensorRole.OUTPUT, 0, tensorFor);
        return new ModelWeights(embedding, layers, vector(c, TensorRole.OUTPUT_NORM, 0, tensorFor), output);
    }

    private static Matrix matrix(ModelConfig c, TensorRole role, int layer, Source tensorFor) {
        return new MappedMatrix(checked(c, role, layer, tensorFor));
    }

    private static Slice vector(ModelConfig c, TensorRole role, int layer, Source tensorFor) {
        if (!role.presentIn(c)) return null;
        WeightTensor t = checked(c, role, layer, tensorFor);
        float[] v = new float[(int) t.cols()];
        WeightMatmul.dequantizeRow(t, 0, v, 0);
        return new Slice(v, 0);
    }

    private static WeightTensor checked(ModelConfig c, TensorRole role, int layer, Source tensorFor) {
        WeightTensor t = tensorFor.tensor(role, layer);
        long[] want = role.shape(c);
        if (!Arrays.equals(want, t.shape())) {
            throw new IllegalArgumentException("tensor " + t.name() + ": expected shape " + Arrays.toString(want)
                    + " for " + role.name(layer) + ", found " + Arrays.toString(t.shape()));
        }
        return t;
    }
}
