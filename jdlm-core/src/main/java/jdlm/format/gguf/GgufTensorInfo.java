package jdlm.format.gguf;

/**
 * One tensor listed in a GGUF file. The shape is outermost first (PyTorch order, as in
 * {@link jdlm.tensor.WeightTensor}): GGUF's dims {@code [ne0 = cols, ne1 = rows]} become
 * {@code [rows, cols]}.
 *
 * @param offset   absolute position of the first byte in the file
 * @param byteSize bytes of the tensor's data
 */
public record GgufTensorInfo(String name, GgmlType type, long[] shape, long offset, long byteSize) {

    public GgufTensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() { return shape.clone(); }

    public long elements() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }
}
