package jdlm.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Text ↔ token ids, with three special tokens every jdlm model needs: EOS (ends a document or an
 * answer), MASK (the absorbing state of masked diffusion) and PAD.
 *
 * <p>Decoding rules, the same for every tokenizer:
 * <ul>
 *   <li>{@link #decode} returns the text only: special ids are skipped, and byte sequences that
 *       are not valid UTF-8 (a model may emit any token order) become U+FFFD.</li>
 *   <li>{@link #decodeWithSpecials} shows special ids as the visible markers
 *       {@value #EOS_MARKER}, {@value #MASK_MARKER}, {@value #PAD_MARKER}.</li>
 *   <li>{@link #piece} is one token's display string for a sampler's canvas view.</li>
 *   <li>Ids outside {@code [0, vocabSize)} are an {@link IllegalArgumentException}.</li>
 * </ul>
 *
 * <p>{@link #encode} treats its input as ordinary text: marker strings in it are encoded as the
 * characters they are, never as special ids. {@link #encodeWithSpecials} is the one way to
 * write a special token in text (e.g. a prompt with {@code <|mask|>} holes to infill).
 */
public interface Tokenizer {
    String EOS_MARKER = "<|endoftext|>";
    String MASK_MARKER = "<|mask|>";
    String PAD_MARKER = "<|pad|>";

    /** Ids of ordinary text; never contains a special id. */
    int[] encode(String text);

    /** The UTF-8 bytes a token stands for (a copy); empty for special ids. */
    byte[] tokenBytes(int id);

    /** Number of ids, special tokens included; valid ids are {@code [0, vocabSize)}. */
    int vocabSize();

    int eosId();

    int maskId();

    int padId();

    /** Short identifier, e.g. "byte" or "gpt2"; also the {@link TokenizerSpec#type()}. */
    String name();

    /** What a model file stores so that the same tokenizer can be rebuilt. */
    default TokenizerSpec spec() {
        return new TokenizerSpec(name(), vocabSize(), eosId(), maskId(), padId());
    }

    default boolean isSpecial(int id) {
        return id == eosId() || id == maskId() || id == padId();
    }

    /** The marker of a special id, or null for an ordinary id. */
    default String specialMarker(int id) {
        if (id == eosId()) return EOS_MARKER;
        if (id == maskId()) return MASK_MARKER;
        if (id == padId()) return PAD_MARKER;
        return null;
    }

    default String decode(int[] ids) {
        return decode(ids, 0, ids.length);
    }

    /** Text of {@code ids[from, to)}, special ids skipped, malformed UTF-8 replaced by U+FFFD. */
    default String decode(int[] ids, int from, int to) {
        return decodeRange(ids, from, to, false);
    }

    default String decodeWithSpecials(int[] ids) {
        return decodeWithSpecials(ids, 0, ids.length);
    }

    /** Like {@link #decode(int[], int, int)}, but special ids appear as their markers. */
    default String decodeWithSpecials(int[] ids, int from, int to) {
        return decodeRange(ids, from, to, true);
    }

    private String decodeRange(int[] ids, int from, int to, boolean showSpecials) {
        Objects.checkFromToIndex(from, to, ids.length);
        StringBuilder sb = new StringBuilder();
        ByteArrayOutputStream run = new ByteArrayOutputStream();
        for (int i = from; i < to; i++) {
            int id = checkId(ids[i]);
            if (isSpecial(id)) {
                if (showSpecials) {
                    // Bytes on either side of a marker are decoded separately: a marker in the
                    // middle of a multi-byte character shows as U+FFFD, as it should.
                    sb.append(run.toString(StandardCharsets.UTF_8));
                    run.reset();
                    sb.append(specialMarker(id));
                }
                continue;
            }
            run.writeBytes(tokenBytes(id));
        }
        return sb.append(run.toString(StandardCharsets.UTF_8)).toString();
    }

    /**
     * One token as a display string: the marker for special ids, the text when the token's bytes
     * are valid UTF-8 on their own, otherwise the bytes as {@code <0xE2>}-style hex (a fragment of
     * a multi-byte character has no text of its own).
     */
    default String piece(int id) {
        checkId(id);
        if (isSpecial(id)) return specialMarker(id);
        byte[] b = tokenBytes(id);
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            return decoder.decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException notText) {
            StringBuilder sb = new StringBuilder();
            for (byte x : b) sb.append(String.format("<0x%02X>", x & 0xff));
            return sb.toString();
        }
    }

    /**
     * Encodes text in which the markers {@value #EOS_MARKER}, {@value #MASK_MARKER} and
     * {@value #PAD_MARKER} stand for the special ids; everything else is ordinary text.
     */
    default int[] encodeWithSpecials(String text) {
        String[] markers = {EOS_MARKER, MASK_MARKER, PAD_MARKER};
        int[] specialIds = {eosId(), maskId(), padId()};
        List<int[]> parts = new ArrayList<>();
        int start = 0;
        while (true) {
            int best = -1, at = text.length();
            for (int k = 0; k < markers.length; k++) {
                int p = text.indexOf(markers[k], start);
                if (p >= 0 && p < at) {
                    at = p;
                    best = k;
                }
            }
            if (at > start) parts.add(encode(text.substring(start, at)));
            if (best < 0) break;
            parts.add(new int[] {specialIds[best]});
            start = at + markers[best].length();
        }
        int n = 0;
        for (int[] p : parts) n += p.length;
        int[] out = new int[n];
        int o = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }

    /** Returns {@code id} if it is in {@code [0, vocabSize)}, else throws with a clear message. */
    default int checkId(int id) {
        if (id < 0 || id >= vocabSize()) {
            throw new IllegalArgumentException("token id " + id + " is outside the " + name()
                    + " tokenizer's vocabulary [0, " + vocabSize() + ")");
        }
        return id;
    }
}
