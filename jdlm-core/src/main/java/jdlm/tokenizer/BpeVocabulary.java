package jdlm.tokenizer;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import jdlm.format.Json;

/**
 * A byte-level BPE vocabulary as a model file describes it, before it is checked and indexed by
 * {@link BpeTokenizer}: what {@link TokenizerJson} and {@link GgufVocabulary} both produce.
 *
 * @param source       the file, for error messages
 * @param tokens       token text by id: byte-level alphabet for {@link Kind#NORMAL}, plain text otherwise;
 *                     null where the id has no token
 * @param kinds        kind by id, same length as {@code tokens}
 * @param merges       merge pairs (left, right), lowest rank first
 * @param preTokenizer the split applied to ordinary text
 * @param nfc          whether ordinary text is NFC-normalised first (Qwen2's normalizer)
 * @param ignoreMerges whether a piece that is a whole vocabulary token is taken as is (Llama-3)
 * @param bos          BOS id or -1
 */
record BpeVocabulary(Path source, String[] tokens, Kind[] kinds, List<String[]> merges, PreTokenizer preTokenizer,
                     boolean nfc, boolean ignoreMerges, int eos, int mask, int pad, int bos) {

    enum Kind {
        /** A BPE token: bytes in the byte-level alphabet, produced by merges. */
        NORMAL,
        /** Added text matched as a whole before pre-tokenising, decoded as written (GGUF user-defined). */
        LITERAL,
        /** A control token: matched only by encodeWithSpecials, decoded to nothing (GGUF control). */
        SPECIAL,
        /** An id that stands for nothing (a padding slot in the embedding table). */
        UNUSED
    }

    /** A merge written "a b": the two tokens, or null when it is not two non-empty tokens around one space. */
    static String[] splitMerge(String merge) {
        int sp = merge.indexOf(' ');
        if (sp <= 0 || sp == merge.length() - 1 || merge.indexOf(' ', sp + 1) >= 0) return null;
        return new String[] {merge.substring(0, sp), merge.substring(sp + 1)};
    }

    /** A short description of a metadata value for error messages. */
    static String describe(Object v) {
        if (v instanceof String s) return "\"" + (s.length() > 60 ? s.substring(0, 60) + "…" : s) + "\"";
        if (v instanceof Number n) return n.toString();
        if (v == null || v instanceof Map || v instanceof List || v instanceof Boolean) return Json.typeName(v);
        return v.getClass().getSimpleName();
    }
}
