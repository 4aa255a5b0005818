package jdlm.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.MatchResult;
import java.util.regex.Pattern;

import jdlm.LoadedModel;
import jdlm.tokenizer.Tokenizer;
import jdlm.train.Checkpoint;
import org.junit.jupiter.api.Test;

/**
 * The models that ship in models/: they load, and greedy decoding of a fixed prompt has the
 * properties that must hold whatever the exact words (no frozen strings).
 */
class BundledModelTest {

    private static Path bundled(String name) {
        Path p = ModelOptions.bundledDefault().resolveSibling(name);
        assertTrue(Files.isRegularFile(p.resolve(Checkpoint.FILE_NAME)), "the repository ships " + p);
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
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int i = 0; i < tokens.size(); i++) {
            int id = ((Number) tokens.get(i)).intValue();
            assertFalse(tok.isSpecial(id), "no MASK, EOS or PAD inside the answer (it ends at EOS): token " + i + " = " + id);
            bytes.writeBytes(tok.tokenBytes(id));
        }
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes.toByteArray()));
        } catch (CharacterCodingException e) {
            throw new AssertionError("the answer is not valid UTF-8: " + e, e);
        }
        assertEquals(j.get("text"), CommandRun.of("generate", "--prompt", "It is a truth universally acknowledged", "--length",
                String.valueOf(length), "--steps", "32", "--block", "32", "--temperature", "0", "--json").json().get("text"),
                "greedy decoding is deterministic");
    }

    /**
     * "Looks like the corpus, not noise", made checkable: with the sampling its sampling.json
     * suggests (what a newcomer's first {@code generate} uses), the words the model writes are
     * words of its training text. Measured against the training vocabulary: Persuasion, which the
     * model never saw, scores 0.95 (names and words only that novel uses); 160 tokens drawn from the
     * corpus's own token frequencies 0.69 (8 draws; BPE pieces glued at random make non-words). The
     * bundled model (bpe:3072, adapted from AR, 3,600 steps): 113 of 116 words; the same seed at
     * temperature 3 gives 70 of 109 (0.64), as noisy text should fail.
     */
    @Test
    void defaultModelWritesTheWordsOfItsCorpus() throws Exception {
        Path corpus = bundled("default").getParent().getParent().resolve("../shared/data/austen_train.txt").normalize();
        assumeTrue(Files.isRegularFile(corpus), "needs the training corpus at ../shared/data beside the checkout");
        Set<String> vocabulary = new HashSet<>(words(Files.readString(corpus)));
        String text = (String) CommandRun.of("generate", "--prompt", "It is a truth universally acknowledged", "--length", "160",
                "--no-eos-stop", "--seed", "1", "--json").json().get("text");
        List<String> written = words(text);
        assertTrue(written.size() >= 20, "160 tokens of prose hold 20 words or more: " + text);
        long known = written.stream().filter(vocabulary::contains).count();
        assertTrue(known >= 0.85 * written.size(), known + " of " + written.size() + " words are the corpus's: " + text);
    }

    private static final Pattern LETTERS = Pattern.compile("\\p{L}+");

    /** Runs of letters, lower-cased. */
    private static List<String> words(String text) {
        return LETTERS.matcher(text.toLowerCase(Locale.ROOT)).results().map(MatchResult::group).toList();
    }

    @Test
    void arTwinShipsBesideItAndIsCausal() {
        LoadedModel ar = LoadedModel.open(bundled("default-ar"), false, s -> { });
        LoadedModel masked = LoadedModel.open(bundled("default"), false, s -> { });
        assertTrue(ar.causal() && !masked.causal());
        assertEquals(ar.config().adaptedToDiffusion(), masked.config(), "same size and tokenizer: a true twin (the masked one adapted from AR)");
        assertEquals(ar.tokenizer().spec(), masked.tokenizer().spec(), "one vocabulary");
    }
}
