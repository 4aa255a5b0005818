package jdlm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TokenizerSpecTest {

    @Test
    void specRoundTripsThroughJsonAndRebuildsTheTokenizer() {
        TokenizerSpec spec = new ByteTokenizer().spec();
        String json = spec.toJson();
        assertEquals("{\"type\":\"byte\",\"vocab_size\":259,\"eos_id\":256,\"mask_id\":257,\"pad_id\":258}", json);
        assertEquals(spec, TokenizerSpec.fromJson(json));
        assertInstanceOf(ByteTokenizer.class, Tokenizers.fromSpec(TokenizerSpec.fromJson(json)));
        TokenizerSpec gpt2 = new TokenizerSpec("gpt2", 50259, 50256, 50257, 50258);
        assertEquals(gpt2, new Gpt2Tokenizer().spec());
        assertInstanceOf(Gpt2Tokenizer.class, Tokenizers.fromSpec(TokenizerSpec.fromJson(gpt2.toJson())));
    }

    @Test
    void mismatchedOrMalformedSpecsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tokenizers.fromSpec(new TokenizerSpec("byte", 259, 256, 5, 258)));
        assertTrue(e.getMessage().contains("does not match the byte tokenizer"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tokenizers.byName("sentencepiece"));
        assertTrue(e.getMessage().contains("known tokenizers: byte, gpt2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> TokenizerSpec.fromJson("{\"type\":\"byte\",\"vocab_size\":\"259\"}"));
        assertTrue(e.getMessage().contains("\"vocab_size\" must be a non-negative integer"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TokenizerSpec.fromJson("{\"type\":"));
        assertTrue(e.getMessage().startsWith("tokenizer spec is not valid JSON"), e.getMessage());
    }
}
