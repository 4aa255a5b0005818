package jdlm.model;

import jdlm.tensor.WeightMatmul;
import jdlm.tensor.WeightTensor;

/** A matrix read in place from a (memory-mapped, possibly quantised) {@link WeightTensor}; never copied whole. */
public record MappedMatrix(WeightTensor tensor) implements Matrix {

    public MappedMatrix {
        if (tensor.shape().length != 2 || tensor.rows() > Integer.MAX_VALUE || tensor.cols() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(tensor.name() + ": expected a matrix with at most 2³¹ − 1 rows and columns, found shape "
                    + java.util.Arrays.toString(tensor.shape()));
        }
    }

    @Override
    public int rows() { return (int) tensor.rows(); }

    @Override
    public int cols() { return (int) tensor.cols(); }

    @Override
    public void multiply(float[] x, int n, float[] y, int yOff, boolean accumulate) {
        WeightMatmul.multiply(tensor, x, 0, n, y, yOff, accumulate);
    }

    @Override
    public void row(int row, float[] dst, int dstOff) {
        WeightMatmul.dequantizeRow(tensor, row, dst, dstOff);
    }
}
