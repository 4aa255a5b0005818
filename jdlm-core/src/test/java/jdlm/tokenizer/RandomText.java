package jdlm.tokenizer;

import java.util.SplittableRandom;

/** Random valid Unicode strings mixing the cases tokenizers get wrong. */
final class RandomText {
    private RandomText() {}

    static String of(SplittableRandom rnd, int maxCodePoints) {
        StringBuilder sb = new StringBuilder();
        int n = rnd.nextInt(maxCodePoints + 1);
        for (int i = 0; i < n; i++) {
            int cp = switch (rnd.nextInt(8)) {
                case 0 -> rnd.nextInt(0x20);                    // control characters, NUL included
                case 1 -> 0x20 + rnd.nextInt(0x5f);             // printable ASCII
                case 2 -> 0xa0 + rnd.nextInt(0x700);            // Latin-1 .. Cyrillic, combining marks
                case 3 -> 0x4e00 + rnd.nextInt(0x5200);         // CJK
                case 4 -> 0x1f300 + rnd.nextInt(0x300);         // emoji (surrogate pairs in UTF-16)
                case 5 -> 0x10000 + rnd.nextInt(0x100000);      // any supplementary code point
                case 6 -> " \n\t\r\u00a0\u2028\u3000".charAt(rnd.nextInt(7)); // whitespace kinds
                default -> {
                    int c = rnd.nextInt(0x10000);               // anything in the BMP but surrogates
                    yield Character.isSurrogate((char) c) ? 'x' : c;
                }
            };
            sb.appendCodePoint(cp);
        }
        return sb.toString();
    }
}
