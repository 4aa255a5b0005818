package jdlm.tokenizer;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * GPT-2's byte-level alphabet: every byte is written as one visible character so that a BPE
 * vocabulary can be stored as text. Bytes that are printable Latin-1 ('!'..'~', '¡'..'¬',
 * '®'..'ÿ') stand for themselves; the other 68 bytes, in increasing order, become U+0100,
 * U+0101, ... (so the space 0x20 is 'Ġ' = U+0120 and the newline 0x0A is 'Ċ' = U+010A).
 * GPT-2, Llama-3, Qwen2 and the GGUF "gpt2" tokenizer model all store their tokens this way.
 */
final class ByteLevelAlphabet {
    private static final char[] CHAR_OF_BYTE = new char[256];
    /** Inverse map over U+0000..U+0143, the only characters the alphabet uses; -1 elsewhere. */
    private static final int[] BYTE_OF_CHAR = new int[0x144];

    static {
        Arrays.fill(BYTE_OF_CHAR, -1);
        int next = 0x100;
        for (int b = 0; b < 256; b++) {
            boolean visible = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = visible ? (char) b : (char) next++;
            CHAR_OF_BYTE[b] = c;
            BYTE_OF_CHAR[c] = b;
        }
    }

    private ByteLevelAlphabet() {}

    static char charOf(int b) {
        return CHAR_OF_BYTE[b & 0xff];
    }

    /** The text form of {@code bytes[from, to)}. */
    static String encode(byte[] bytes, int from, int to) {
        char[] c = new char[to - from];
        for (int i = from; i < to; i++) c[i - from] = CHAR_OF_BYTE[bytes[i] & 0xff];
        return new String(c);
    }

    /** The bytes a token's text stands for, or null when the text uses a character outside the alphabet. */
    static byte[] decode(String token) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(token.length());
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            int b = c < BYTE_OF_CHAR.length ? BYTE_OF_CHAR[c] : -1;
            if (b < 0) return null;
            out.write(b);
        }
        return out.toByteArray();
    }
}
