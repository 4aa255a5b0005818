package jdlm.tokenizer;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The regular expression that cuts text into pieces before BPE, so that no token spans two
 * pieces. Each constant holds the pattern exactly as its model's tokenizer.json writes it.
 */
enum PreTokenizer {
    /** GPT-2: contractions, optional leading space + letters / digits / other symbols, whitespace runs. */
    GPT2("gpt2", "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"),
    /**
     * Llama-3 (also LLaDA): case-insensitive contractions, one optional non-letter before a word,
     * digits in groups of at most three, newlines kept apart from other whitespace.
     */
    LLAMA3("llama3", "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
    /** Qwen2 (also Dream): Llama-3's pattern with every digit a piece of its own. */
    QWEN2("qwen2", "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");

    final String id;
    final String regex;
    /**
     * Unicode classes, as the reference implementations (Oniguruma in HF tokenizers, Rust regex in
     * tiktoken) use: \s is White_Space, \p{L}/\p{N} are the general categories, (?i) folds Unicode case.
     */
    private final Pattern pattern;

    PreTokenizer(String id, String regex) {
        this.id = id;
        this.regex = regex;
        this.pattern = Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
    }

    Matcher matcher(CharSequence text) {
        return pattern.matcher(text);
    }

    /** The constant whose pattern is exactly {@code regex}, or null. */
    static PreTokenizer ofRegex(String regex) {
        for (PreTokenizer p : values()) if (p.regex.equals(regex)) return p;
        return null;
    }

    static String knownIds() {
        StringBuilder sb = new StringBuilder();
        for (PreTokenizer p : values()) sb.append(sb.isEmpty() ? "" : ", ").append(p.id);
        return sb.toString();
    }
}
