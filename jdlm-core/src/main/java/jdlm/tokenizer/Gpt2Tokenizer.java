package jdlm.tokenizer;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;

/**
 * GPT-2's byte-level BPE (tiktoken's {@code r50k_base}, through JTokkit): ids 0..50255 are BPE
 * tokens, 50256 is {@code <|endoftext|>} = EOS, and jdlm adds MASK = 50257 and PAD = 50258
 * (vocabulary 50259).
 */
public final class Gpt2Tokenizer implements Tokenizer {
    public static final String NAME = "gpt2";
    public static final int EOS = 50256;
    public static final int MASK = 50257;
    public static final int PAD = 50258;
    public static final int VOCAB_SIZE = 50259;

    /** Loading the 50k ranks takes a moment; done once, on first use. */
    private static final class Table {
        static final Encoding ENCODING = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
        static final byte[][] TOKEN_BYTES = new byte[EOS][];

        static {
            IntArrayList one = new IntArrayList(1);
            one.add(0);
            for (int id = 0; id < EOS; id++) {
                one.set(0, id);
                TOKEN_BYTES[id] = ENCODING.decodeBytes(one);
            }
        }
    }

    @Override
    public int[] encode(String text) {
        // encodeOrdinary: "<|endoftext|>" inside the text is ordinary characters, not EOS.
        return Table.ENCODING.encodeOrdinary(text).toArray();
    }

    @Override
    public byte[] tokenBytes(int id) {
        checkId(id);
        return id < EOS ? Table.TOKEN_BYTES[id].clone() : new byte[0];
    }

    @Override public int vocabSize() { return VOCAB_SIZE; }
    @Override public int eosId() { return EOS; }
    @Override public int maskId() { return MASK; }
    @Override public int padId() { return PAD; }
    @Override public String name() { return NAME; }
}
