package jdlm.format.gguf;

import jdlm.tensor.QuantType;

/**
 * Every tensor type a GGUF file may hold (GGML's {@code ggml_type}), with its id, elements per
 * block and bytes per block, so that tensors jdlm cannot compute with (Q5_K, IQ2_XS, ...) can
 * still be listed, sized and validated. Ids 4, 5 and 31–33, 36–38 were removed from GGML and are
 * refused as unknown. {@link #quantType()} maps to the types jdlm computes with.
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 18),
    Q4_1(3, 32, 20),
    Q5_0(6, 32, 22),
    Q5_1(7, 32, 24),
    Q8_0(8, 32, 34),
    Q8_1(9, 32, 36),
    Q2_K(10, 256, 84),
    Q3_K(11, 256, 110),
    Q4_K(12, 256, 144),
    Q5_K(13, 256, 176),
    Q6_K(14, 256, 210),
    Q8_K(15, 256, 292),
    IQ2_XXS(16, 256, 66),
    IQ2_XS(17, 256, 74),
    IQ3_XXS(18, 256, 98),
    IQ1_S(19, 256, 50),
    IQ4_NL(20, 32, 18),
    IQ3_S(21, 256, 110),
    IQ2_S(22, 256, 82),
    IQ4_XS(23, 256, 136),
    I8(24, 1, 1),
    I16(25, 1, 2),
    I32(26, 1, 4),
    I64(27, 1, 8),
    F64(28, 1, 8),
    IQ1_M(29, 256, 56),
    BF16(30, 1, 2),
    TQ1_0(34, 256, 54),
    TQ2_0(35, 256, 66),
    MXFP4(39, 32, 17);

    private final int id;
    private final int blockSize;
    private final int blockBytes;

    GgmlType(int id, int blockSize, int blockBytes) {
        this.id = id;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    public int id() { return id; }

    /** Elements per block (1 for plain types). */
    public int blockSize() { return blockSize; }

    public int blockBytes() { return blockBytes; }

    /** Bytes taken by {@code elements} values, or -1 when not a whole number of blocks or too many for a long. */
    public long bytesFor(long elements) {
        if (elements < 0 || elements % blockSize != 0) return -1;
        long blocks = elements / blockSize;
        if (blocks > Long.MAX_VALUE / blockBytes) return -1;
        return blocks * blockBytes;
    }

    /** The jdlm compute type with this id, or null when jdlm can only list tensors of this type. */
    public QuantType quantType() { return QuantType.byGgmlId(id); }

    public static GgmlType of(QuantType q) { return byId(q.ggmlId()); }

    /** The type with this id, or null for an id GGML does not (or no longer) define. */
    public static GgmlType byId(long id) {
        for (GgmlType t : values()) if (t.id == id) return t;
        return null;
    }
}
