package jdlm.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jdlm.format.Json;

/**
 * Writes a jdlm tokenizer as a Hugging Face {@code tokenizer.json}. The byte tokenizer becomes a
 * byte-level BPE without merges (token i is byte i in GPT-2's byte alphabet) plus its special
 * tokens as added tokens, which {@link BpeTokenizer} and the tokenizers library read back to the
 * same ids.
 */
public final class TokenizerJsonExport {
    private TokenizerJsonExport() {}

    /**
     * Writes the model's tokenizer: the byte tokenizer as described above, a BPE vocabulary jdlm
     * learned ({@link BpeTrainer}) as the tokenizer.json it was stored as.
     */
    public static void write(Tokenizer tok, Path file) throws IOException {
        String json;
        if (tok instanceof BpeTokenizer bpe && bpe.tokenizerJson() != null) {
            json = bpe.tokenizerJson();
        } else if (tok instanceof ByteTokenizer) {
            json = byteTokenizer(tok);
        } else {
            throw new IllegalArgumentException("tokenizer.json export covers the byte tokenizer and BPE vocabularies learned by"
                    + " jdlm; this model uses the " + tok.name() + " tokenizer");
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, json.endsWith("\n") ? json : json + "\n");
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String byteTokenizer(Tokenizer tok) {
        Map<String, Object> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) vocab.put(String.valueOf(ByteLevelAlphabet.charOf(b)), (long) b);
        List<Object> added = new ArrayList<>();
        for (int id = 256; id < tok.vocabSize(); id++) added.add(specialToken(id, tok.specialMarker(id)));
        return byteLevelBpe(vocab, List.of(), added);
    }

    /** An {@code added_tokens} entry for a special token matched exactly. */
    static Map<String, Object> specialToken(int id, String content) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("id", (long) id);
        t.put("content", content);
        t.put("single_word", false);
        t.put("lstrip", false);
        t.put("rstrip", false);
        t.put("normalized", false);
        t.put("special", true);
        return t;
    }

    /** tokenizer.json text of a byte-level BPE with GPT-2's pre-tokeniser: vocab text → id, merges "a b". */
    static String byteLevelBpe(Map<String, Object> vocab, List<Object> merges, List<Object> added) {
        Map<String, Object> byteLevel = new LinkedHashMap<>();
        byteLevel.put("type", "ByteLevel");
        byteLevel.put("add_prefix_space", false);
        byteLevel.put("trim_offsets", true);
        byteLevel.put("use_regex", true);
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("dropout", null);
        model.put("unk_token", null);
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("vocab", vocab);
        model.put("merges", merges);
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", "1.0");
        root.put("added_tokens", added);
        root.put("normalizer", null);
        root.put("pre_tokenizer", byteLevel);
        root.put("post_processor", null);
        root.put("decoder", byteLevel);
        root.put("model", model);
        return Json.writePretty(root);
    }
}
