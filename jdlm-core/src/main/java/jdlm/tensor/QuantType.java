package jdlm.tensor;

/**
 * How a weight tensor's elements are stored: plain floats, or GGML's block-quantised formats,
 * where each run of {@link #blockSize()} consecutive elements of a row is packed into
 * {@link #blockBytes()} bytes (scales and small integers). The ids are GGML's {@code ggml_type}
 * numbers, as written in GGUF tensor infos.
 */
public enum QuantType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 18),     // f16 scale d, 16 bytes of 4-bit q: x = d·(q − 8)
    Q8_0(8, 32, 34),     // f16 scale d, 32 signed bytes: x = d·q
    Q4_K(12, 256, 144),  // f16 d, f16 dmin, 12 bytes of 6-bit sub-block scales/mins, 128 bytes of 4-bit q
    Q6_K(14, 256, 210),  // 128 bytes low 4 bits, 64 bytes high 2 bits, 16 int8 sub-block scales, f16 d
    BF16(30, 1, 2);

    private final int ggmlId;
    private final int blockSize;
    private final int blockBytes;

    QuantType(int ggmlId, int blockSize, int blockBytes) {
        this.ggmlId = ggmlId;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    public int ggmlId() { return ggmlId; }

    /** Elements per block (1 for the float types). */
    public int blockSize() { return blockSize; }

    /** Bytes per block. */
    public int blockBytes() { return blockBytes; }

    public boolean isQuantized() { return blockSize > 1; }

    /**
     * Bytes taken by {@code elements} values, or -1 when the count is negative, not a whole number
     * of blocks, or the byte count would overflow a long (callers turn -1 into a clear error).
     */
    public long bytesFor(long elements) {
        if (elements < 0 || elements % blockSize != 0) return -1;
        long blocks = elements / blockSize;
        if (blocks > Long.MAX_VALUE / blockBytes) return -1;
        return blocks * blockBytes;
    }

    /** The type with this GGML id, or null when jdlm does not support it. */
    public static QuantType byGgmlId(int id) {
        for (QuantType t : values()) if (t.ggmlId == id) return t;
        return null;
    }
}
