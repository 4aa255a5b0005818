package jdlm.tokenizer;

/** The tokenizers jdlm knows, by name or by a stored {@link TokenizerSpec}. */
public final class Tokenizers {
    private Tokenizers() {}

    /** "byte" or "gpt2" ("bpe:N" vocabularies are learned from text: {@link BpeTrainer}). */
    public static Tokenizer byName(String name) {
        return switch (name) {
            case ByteTokenizer.NAME -> new ByteTokenizer();
            case Gpt2Tokenizer.NAME -> new Gpt2Tokenizer();
            case BpeTokenizer.NAME -> throw new IllegalArgumentException("the " + BpeTokenizer.NAME
                    + " tokenizer is loaded with its model's vocabulary (tokenizer.json, GGUF, or a jdlm model file), not by name");
            default -> throw new IllegalArgumentException("unknown tokenizer \"" + name
                    + "\"; known tokenizers: " + ByteTokenizer.NAME + ", " + Gpt2Tokenizer.NAME + ", bpe:N (learned from the text)");
        };
    }

    /** Whether {@code name} asks for a BPE vocabulary learned from the training text ("bpe:N"). */
    public static boolean isLearned(String name) {
        return name.startsWith(BpeTokenizer.NAME + ":");
    }

    /** The vocabulary size of "bpe:N", checked. */
    public static int learnedSize(String name) {
        String n = name.substring(name.indexOf(':') + 1);
        try {
            int v = Integer.parseInt(n);
            if (v >= BpeTrainer.MIN_VOCAB && v <= 65536) return v;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("tokenizer \"" + name + "\": expected bpe:N with N from " + BpeTrainer.MIN_VOCAB
                + " to 65536 ids in all (256 bytes, the merges, EOS, MASK, PAD), e.g. bpe:4096");
    }

    /** Rebuilds a stored tokenizer, refusing a spec whose sizes or special ids differ from its type's. */
    public static Tokenizer fromSpec(TokenizerSpec spec) {
        if (spec.type().equals(BpeTokenizer.NAME)) {
            if (spec.vocabulary() == null) {
                throw new IllegalArgumentException("tokenizer spec " + spec + " has no vocabulary; a bpe model file must carry its tokenizer.json");
            }
            BpeTokenizer t = BpeTokenizer.learned(spec.vocabulary(), java.nio.file.Path.of("(stored tokenizer.json)"),
                    new BpeTokenizer.SpecialIds(spec.eosId(), spec.maskId(), spec.padId(), -1));
            if (!t.spec().equals(spec)) {
                throw new IllegalArgumentException("tokenizer spec " + spec + " does not match its vocabulary, which is " + t.spec());
            }
            return t;
        }
        Tokenizer t = byName(spec.type());
        if (!t.spec().equals(spec)) {
            throw new IllegalArgumentException("tokenizer spec " + spec + " does not match the " + spec.type()
                    + " tokenizer, which is " + t.spec());
        }
        return t;
    }
}
