package jdlm.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * Bytes as tokens: ids 0..255 are the bytes of the text's UTF-8 encoding, then EOS = 256,
 * MASK = 257, PAD = 258 (vocabulary 259). Every text is representable, and bits per token are
 * bits per byte.
 */
public final class ByteTokenizer implements Tokenizer {
    public static final String NAME = "byte";
    public static final int EOS = 256;
    public static final int MASK = 257;
    public static final int PAD = 258;
    public static final int VOCAB_SIZE = 259;

    private static final byte[][] BYTES = new byte[256][];

    static {
        for (int b = 0; b < 256; b++) BYTES[b] = new byte[] {(byte) b};
    }

    @Override
    public int[] encode(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[b.length];
        for (int i = 0; i < b.length; i++) ids[i] = b[i] & 0xff;
        return ids;
    }

    @Override
    public byte[] tokenBytes(int id) {
        checkId(id);
        return id < 256 ? BYTES[id].clone() : new byte[0];
    }

    @Override public int vocabSize() { return VOCAB_SIZE; }
    @Override public int eosId() { return EOS; }
    @Override public int maskId() { return MASK; }
    @Override public int padId() { return PAD; }
    @Override public String name() { return NAME; }
}
