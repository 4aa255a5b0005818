package jdlm.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A named tensor of any {@link QuantType} over bytes that usually live in a memory-mapped model
 * file. The shape is outermost first, as in safetensors and PyTorch: a weight matrix is
 * {@code [rows = out, cols = in]} and each row is stored (and, for quantised types, blocked)
 * on its own, so a row starts at {@code row · type.bytesFor(cols)}. (GGUF lists dimensions
 * innermost first; its reader reverses them.)
 */
public record WeightTensor(String name, QuantType type, long[] shape, MemorySegment data) {

    public WeightTensor {
        shape = shape.clone();
        long n = 1;
        for (long d : shape) {
            if (d < 0 || (d > 0 && n > Long.MAX_VALUE / d)) {
                throw new IllegalArgumentException(name + ": bad shape " + Arrays.toString(shape));
            }
            n *= d;
        }
        long inner = shape.length == 0 ? 1 : shape[shape.length - 1];
        if (inner % type.blockSize() != 0) {
            throw new IllegalArgumentException(name + ": rows of " + inner + " elements are not a whole number of "
                    + type + " blocks of " + type.blockSize());
        }
        long bytes = type.bytesFor(n);
        if (bytes < 0 || data.byteSize() != bytes) {
            throw new IllegalArgumentException(name + ": " + type + " " + Arrays.toString(shape) + " needs "
                    + bytes + " bytes, the data has " + data.byteSize());
        }
    }

    @Override
    public long[] shape() { return shape.clone(); }

    public long elements() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** Rows of a matrix (the product of all but the last dimension). */
    public long rows() {
        long r = 1;
        for (int i = 0; i < shape.length - 1; i++) r *= shape[i];
        return r;
    }

    /** Columns of a matrix (the last dimension). */
    public long cols() { return shape.length == 0 ? 1 : shape[shape.length - 1]; }

    /** Bytes of one row. */
    public long rowBytes() { return type.bytesFor(cols()); }
}
