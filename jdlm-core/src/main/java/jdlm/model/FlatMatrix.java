package jdlm.model;

import jdlm.tensor.Gemm;

/** A matrix stored row-major in a float buffer (the live training parameters) from {@code offset}. */
public record FlatMatrix(float[] data, int offset, int rows, int cols) implements Matrix {

    FlatMatrix(float[] data, ParameterLayout.View v) {
        this(data, v.offset(), v.rows(), v.cols());
    }

    @Override
    public void multiply(float[] x, int n, float[] y, int yOff, boolean accumulate) {
        Gemm.gemm(false, true, n, rows, cols, x, 0, cols, data, offset, cols, y, yOff, rows, accumulate);
    }

    @Override
    public void row(int row, float[] dst, int dstOff) {
        System.arraycopy(data, offset + row * cols, dst, dstOff, cols);
    }
}
