package jdlm.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import jdlm.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

/**
 * The models that ship in models/: they load, and greedy decoding of a fixed prompt has the
 * properties that must hold whatever the exact words (no frozen strings).
 */
class BundledModelTest {

    private static Path bundled(String name) {
        Path p = LoadedModel.bundledDefault().resolveSibling(name);
        assertTrue(Files.isRegularFile(p.resolve(TrainCommand.CHECKPOINT)), "the repository ships " + p);
        return p;
    }

    @Test
    @SuppressWarnings("unchecked")
    void defaultModelDecodesAFixedPromptGreedilyIntoValidText() throws Exception {
        Path model = bundled("default");
        int length = 64;
        CommandRun first = CommandRun.of("generate", "--prompt", "It is a truth universally acknowledged", "--length", String.valueOf(length),
                "--steps", "32", "--block", "32", "--temperature", "0", "--json");
        Map<String, Object> j = first.json();
        List<Object> tokens = (List<Object>) j.get("tokens");
        assertTrue(tokens.size() <= length, "the answer is at most --length tokens");
        Tokenizer tok = LoadedModel.open(model, false, s -> { }).tokenizer();
        byte[] bytes = new byte[tokens.size()];
        for (int i = 0; i < tokens.size(); i++) {
            int id = ((Number) tokens.get(i)).intValue();
            assertFalse(tok.isSpecial(id), "no MASK, EOS or PAD inside the answer (it ends at EOS): token " + i + " = " + id);
            bytes[i] = (byte) id;
        }
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
        } catch (CharacterCodingException e) {
            throw new AssertionError("the answer is not valid UTF-8: " + e, e);
        }
        assertEquals(j.get("text"), CommandRun.of("generate", "--prompt", "It is a truth universally acknowledged", "--length",
                String.valueOf(length), "--steps", "32", "--block", "32", "--temperature", "0", "--json").json().get("text"),
                "greedy decoding is deterministic");
    }

    @Test
    void arTwinShipsBesideItAndIsCausal() {
        LoadedModel ar = LoadedModel.open(bundled("default-ar"), false, s -> { });
        LoadedModel masked = LoadedModel.open(bundled("default"), false, s -> { });
        assertTrue(ar.causal() && !masked.causal());
        assertEquals(masked.config().withAttention(ar.config().attention()), ar.config(), "same size and tokenizer: a true twin");
    }
}
