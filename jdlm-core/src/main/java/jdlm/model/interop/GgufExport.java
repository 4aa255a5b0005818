package jdlm.model.interop;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import jdlm.format.gguf.GgmlType;
import jdlm.format.gguf.GgufFile;
import jdlm.format.gguf.GgufTensorInfo;
import jdlm.format.gguf.GgufMetadata;
import jdlm.format.gguf.GgufWriter;
import jdlm.model.ModelConfig;
import jdlm.model.Transformer;
import jdlm.tensor.QuantType;
import jdlm.tensor.Quantizer;
import jdlm.tensor.Rope;
import jdlm.tensor.WeightMatmul;
import jdlm.tensor.WeightTensor;
import jdlm.tokenizer.GgufVocabularyExport;
import jdlm.tokenizer.Tokenizer;

/**
 * What a GGUF writer needs to save a native jdlm model so that llama.cpp runs it: a masked-diffusion
 * model as architecture {@code llada}, its causal twin as {@code llama}. Tensor names are jdlm's
 * own (they are llama.cpp's); q/k rows are put in llama.cpp's adjacent-pairs rotary layout.
 * {@link #write} puts it all in a file: metadata, the tokenizer, and the matrices in a storage type
 * of choice (quantised row by row while the file is streamed out; norms stay f32 as in llama.cpp).
 */
public final class GgufExport {
    private GgufExport() {}

    /** {@code llada} for a bidirectional model, {@code llama} for a causal one. */
    public static String architecture(ModelConfig c) {
        return c.causal() ? "llama" : "llada";
    }

    /**
     * The model's GGUF metadata. Types follow the reader's convention; llama.cpp insists on these
     * GGUF types: Long → UINT32, Double → FLOAT32, Boolean → BOOL, String → STRING.
     */
    public static Map<String, Object> metadata(ModelConfig c, OptionalInt maskTokenId) {
        if (c.blockCausal()) {
            throw new IllegalArgumentException("a block-diffusion model (blocks of " + c.blockSize() + ") has no GGUF architecture that other"
                    + " runtimes run correctly (as llada they would attend bidirectionally); keep it as a jdlm model (convert to a directory)");
        }
        String arch = architecture(c), p = arch + ".";
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("general.architecture", arch);
        m.put(p + "block_count", (long) c.layers());
        m.put(p + "context_length", (long) c.contextLength());
        m.put(p + "embedding_length", (long) c.dim());
        m.put(p + "feed_forward_length", (long) c.hiddenDim());
        m.put(p + "attention.head_count", (long) c.heads());
        m.put(p + "attention.head_count_kv", (long) c.kvHeads());
        m.put(p + "attention.key_length", (long) c.headDim());
        m.put(p + "attention.value_length", (long) c.headDim());
        m.put(p + "attention.layer_norm_rms_epsilon", (double) c.normEps());
        m.put(p + "rope.freq_base", c.ropeTheta());
        m.put(p + "rope.dimension_count", (long) c.headDim());
        m.put(p + "vocab_size", (long) c.vocabSize());
        if (!c.causal()) {
            m.put(p + "attention.causal", false);
            m.put("diffusion.shift_logits", c.shiftLogits());
            maskTokenId.ifPresent(id -> m.put("tokenizer.ggml.mask_token_id", (long) id));
        }
        return m;
    }

    /** The tensors in file order (q/k rows converted to adjacent pairs where the model rotates halves). */
    public static List<ExportTensor> tensors(Transformer model) {
        List<ExportTensor> out = new ArrayList<>();
        for (NativeExport.Entry e : NativeExport.tensors(model, Rope.Style.ADJACENT_PAIRS, "GGUF")) out.add(e.tensor());
        return out;
    }

    /**
     * Writes {@code model} with its tokenizer as a GGUF file. Matrices are stored as {@code type}
     * where their rows are a whole number of its blocks, else as Q8_0 (rows of 32) or F32; 1-D
     * tensors as F32. Returns each tensor's stored type, in file order.
     */
    public static Map<String, QuantType> write(Transformer model, Tokenizer tokenizer, QuantType type, Path out) throws IOException {
        ModelConfig c = model.config();
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("general.name", "jdlm " + (c.causal() ? "autoregressive" : "masked diffusion") + " model");
        values.putAll(metadata(c, c.causal() ? OptionalInt.empty() : OptionalInt.of(tokenizer.maskId())));
        GgufMetadata md = typed(values);
        GgufVocabularyExport.write(tokenizer, md);
        GgufWriter writer = new GgufWriter(md);
        Map<String, QuantType> stored = new LinkedHashMap<>();
        for (ExportTensor t : tensors(model)) {
            long[] shape = t.shape();
            int cols = (int) shape[shape.length - 1];
            QuantType q = storedType(type, shape);
            stored.put(t.name(), q);
            writer.add(t.name(), GgmlType.of(q), shape, rows(q, cols, (int) (elements(shape) / cols),
                    (r, dst) -> System.arraycopy(t.data(), t.offset() + r * cols, dst, 0, cols)));
        }
        writer.write(out);
        return stored;
    }

    /**
     * Re-stores a GGUF model's matrices as {@code type} (same fallbacks as {@link #write}); other
     * tensors (norms, biases, types jdlm cannot decode) and all metadata, tokenizer included, are
     * copied as they are. Returns each tensor's stored GGML type name, in file order.
     */
    public static Map<String, String> requantize(GgufFile in, QuantType type, Path out) throws IOException {
        GgufWriter writer = new GgufWriter(new GgufMetadata(in.metadata()));
        Map<String, String> stored = new LinkedHashMap<>();
        for (GgufTensorInfo info : in.tensors().values()) {
            long[] shape = info.shape();
            if (shape.length < 2 || info.type().quantType() == null) {
                writer.add(info.name(), info.type(), shape, in.segment(info.name()));
                stored.put(info.name(), info.type().name());
                continue;
            }
            WeightTensor w = in.weight(info.name());
            int cols = Math.toIntExact(w.cols());
            QuantType q = storedType(type, shape);
            stored.put(info.name(), q.name());
            writer.add(info.name(), GgmlType.of(q), shape, rows(q, cols, Math.toIntExact(w.rows()),
                    (r, dst) -> WeightMatmul.dequantizeRow(w, r, dst, 0)));
        }
        writer.write(out);
        return stored;
    }

    /** {@code type} where a matrix's rows are whole blocks of it, else Q8_0 (rows of 32), else F32; 1-D tensors F32. */
    static QuantType storedType(QuantType type, long[] shape) {
        long cols = shape[shape.length - 1];
        if (shape.length < 2) return QuantType.F32;
        if (cols % type.blockSize() == 0) return type;
        return cols % QuantType.Q8_0.blockSize() == 0 ? QuantType.Q8_0 : QuantType.F32;
    }

    /** Fills {@code dst[0, cols)} with row {@code r} as floats. */
    private interface RowSource {
        void row(int r, float[] dst);
    }

    /** A tensor's bytes, quantised row by row as the file is streamed out (never the whole tensor in memory). */
    private static GgufWriter.Content rows(QuantType q, int cols, int rows, RowSource source) {
        return stream -> {
            float[] values = new float[cols];
            byte[] row = new byte[(int) q.bytesFor(cols)];
            MemorySegment seg = MemorySegment.ofArray(row);
            for (int r = 0; r < rows; r++) {
                source.row(r, values);
                Quantizer.quantizeRow(q, values, 0, cols, seg, 0);
                stream.write(row);
            }
        };
    }

    /** Plain values as GGUF metadata in the types llama.cpp expects: Long → UINT32, Double → FLOAT32, Boolean, String. */
    public static GgufMetadata typed(Map<String, Object> values) {
        GgufMetadata md = new GgufMetadata();
        for (Map.Entry<String, Object> e : values.entrySet()) {
            switch (e.getValue()) {
                case Long l -> md.putUInt32(e.getKey(), l);
                case Double d -> md.putFloat32(e.getKey(), d);
                case Boolean b -> md.putBool(e.getKey(), b);
                case String str -> md.putString(e.getKey(), str);
                default -> throw new IllegalArgumentException("metadata " + e.getKey() + ": no GGUF type for " + e.getValue().getClass().getSimpleName());
            }
        }
        return md;
    }

    private static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }
}
