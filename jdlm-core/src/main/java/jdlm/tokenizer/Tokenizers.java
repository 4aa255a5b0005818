package jdlm.tokenizer;

/** The tokenizers jdlm knows, by name or by a stored {@link TokenizerSpec}. */
public final class Tokenizers {
    private Tokenizers() {}

    /** "byte" or "gpt2". */
    public static Tokenizer byName(String name) {
        return switch (name) {
            case ByteTokenizer.NAME -> new ByteTokenizer();
            case Gpt2Tokenizer.NAME -> new Gpt2Tokenizer();
            case BpeTokenizer.NAME -> throw new IllegalArgumentException("the " + BpeTokenizer.NAME
                    + " tokenizer is loaded with its model's vocabulary (tokenizer.json or GGUF), not by name");
            default -> throw new IllegalArgumentException("unknown tokenizer \"" + name
                    + "\"; known tokenizers: " + ByteTokenizer.NAME + ", " + Gpt2Tokenizer.NAME);
        };
    }

    /** Rebuilds a stored tokenizer, refusing a spec whose sizes or special ids differ from its type's. */
    public static Tokenizer fromSpec(TokenizerSpec spec) {
        Tokenizer t = byName(spec.type());
        if (!t.spec().equals(spec)) {
            throw new IllegalArgumentException("tokenizer spec " + spec + " does not match the " + spec.type()
                    + " tokenizer, which is " + t.spec());
        }
        return t;
    }
}
