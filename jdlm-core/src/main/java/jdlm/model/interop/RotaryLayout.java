package jdlm.model.interop;

import jdlm.tensor.Rope;

/**
 * Moves the rows of a q or k projection (or its bias) between the two rotary layouts. Rotary pair
 * j of a head is rows (2j, 2j+1) in {@link Rope.Style#ADJACENT_PAIRS} and rows (j, j + headDim/2)
 * in {@link Rope.Style#HALVES}; reordering the rows of W_q and W_k one way and rotating the other
 * way gives the same attention scores (the same terms of q·k, summed in another order). This is
 * the permutation llama.cpp's converter applies to Llama and LLaDA checkpoints.
 */
final class RotaryLayout {
    private RotaryLayout() {}

    /**
     * A copy of {@code heads · headDim} rows of {@code cols} floats from {@code src[off ..]}, stored in
     * layout {@code from}, rearranged into the other layout.
     */
    static float[] convert(float[] src, int off, int heads, int headDim, int cols, Rope.Style from) {
        int half = headDim / 2;
        float[] dst = new float[heads * headDim * cols];
        for (int h = 0; h < heads; h++) {
            for (int j = 0; j < half; j++) {
                for (int s = 0; s < 2; s++) {
                    int adjacent = h * headDim + 2 * j + s, halves = h * headDim + s * half + j;
                    int in = from == Rope.Style.HALVES ? halves : adjacent;
                    int out = from == Rope.Style.HALVES ? adjacent : halves;
                    System.arraycopy(src, off + in * cols, dst, out * cols, cols);
                }
            }
        }
        return dst;
    }
}
