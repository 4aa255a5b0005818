package jdlm.model.interop;

/**
 * One tensor to write: {@code product(shape)} floats from {@code data[offset ..]}, shape outermost
 * first ([out, in] for matrices, as jdlm and safetensors store them; a GGUF writer lists the
 * dimensions innermost first).
 */
public record ExportTensor(String name, long[] shape, float[] data, int offset) {
    public ExportTensor {
        shape = shape.clone();
    }

    @Override
    public long[] shape() { return shape.clone(); }
}
