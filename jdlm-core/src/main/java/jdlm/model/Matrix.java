package jdlm.model;

/**
 * A weight matrix {@code W[rows = out, cols = in]} as the inference forward pass sees it: products
 * with activations and single-row reads (embedding lookup). Native models keep their matrices in
 * the flat training buffer ({@link FlatMatrix}); imported ones read memory-mapped, possibly
 * quantised tensors in place ({@link MappedMatrix}).
 */
public sealed interface Matrix permits FlatMatrix, MappedMatrix {

    int rows();

    int cols();

    /** {@code y[n, rows] (+)= x[n, cols] · Wᵀ}, x from offset 0, y from {@code yOff}; adds to y when {@code accumulate}. */
    void multiply(float[] x, int n, float[] y, int yOff, boolean accumulate);

    /** Row {@code row} as floats into {@code dst[dstOff ..]}. */
    void row(int row, float[] dst, int dstOff);
}
