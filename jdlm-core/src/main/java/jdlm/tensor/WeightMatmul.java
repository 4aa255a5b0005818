package jdlm.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * {@code y[n, rows] (+)= x[n, cols] · Wᵀ} where W is a {@link WeightTensor} of any supported
 * {@link QuantType}, read in place (memory-mapped), never dequantised as a whole: this is how
 * imported models (LLaDA, Dream from GGUF or safetensors) run their linear layers.
 */
public final class WeightMatmul {
    private WeightMatmul() {}

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * x holds n rows of {@code w.cols()} floats from {@code xOff}; y receives n rows of
     * {@code w.rows()} floats from {@code yOff}, added to what is there when {@code accumulate}.
     */
    public static void multiply(WeightTensor w, float[] x, int xOff, int n, float[] y, int yOff, boolean accumulate) {
        int rows = Math.toIntExact(w.rows()), cols = Math.toIntExact(w.cols());
        float[] row = new float[cols];
        for (int o = 0; o < rows; o++) {
            dequantizeRow(w, o, row, 0);
            for (int r = 0; r < n; r++) {
                float s = 0f;
                int xr = xOff + r * cols;
                for (int i = 0; i < cols; i++) s += x[xr + i] * row[i];
                int yi = yOff + r * rows + o;
                y[yi] = accumulate ? y[yi] + s : s;
            }
        }
    }

    /** Row {@code row} of w as floats into {@code dst} (an embedding lookup, or a reference for tests). */
    public static void dequantizeRow(WeightTensor w, long row, float[] dst, int dstOff) {
        int cols = Math.toIntExact(w.cols());
        MemorySegment d = w.data();
        long base = row * w.rowBytes();
        switch (w.type()) {
            case F32 -> {
                for (int i = 0; i < cols; i++) dst[dstOff + i] = d.get(F32, base + 4L * i);
            }
            case F16 -> {
                for (int i = 0; i < cols; i++) dst[dstOff + i] = Float.float16ToFloat(d.get(I16, base + 2L * i));
            }
            case BF16 -> {
                for (int i = 0; i < cols; i++) dst[dstOff + i] = Float.intBitsToFloat((d.get(I16, base + 2L * i) & 0xffff) << 16);
            }
            default -> throw new UnsupportedOperationException("no kernel for " + w.type() + " yet");
        }
    }
}
