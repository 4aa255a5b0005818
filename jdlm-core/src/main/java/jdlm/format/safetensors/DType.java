package jdlm.format.safetensors;

/** The element types jdlm reads from and writes to safetensors files. */
public enum DType {
    F32(4), F16(2), BF16(2);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() { return bytes; }

    /** The type named in a header, or null when jdlm does not support it. */
    static DType named(String name) {
        for (DType d : values()) if (d.name().equals(name)) return d;
        return null;
    }
}
