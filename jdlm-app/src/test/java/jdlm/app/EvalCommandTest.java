package jdlm.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class EvalCommandTest {

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> estimates(Map<String, Object> j) {
        return (List<Map<String, Object>>) j.get("estimates");
    }

    private static double number(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).doubleValue();
    }

    @Test
    void maskedModelGetsThreeFiniteBoundsInBitsPerByteWithStandardErrors() {
        Map<String, Object> j = CommandRun.of("eval", "--model", TinyRuns.masked().toString(), "--data", TinyRuns.text().toString(),
                "--max-sequences", "12", "--batch", "4", "--samples", "2", "--steps", "16", "--json").json();
        assertEquals("masked", j.get("kind"));
        assertEquals((long) TinyRuns.SEQ, j.get("seq"), "the window defaults to the training --seq");
        assertEquals(12L, j.get("windows"));
        List<Map<String, Object>> es = estimates(j);
        assertEquals(3, es.size());
        assertTrue(((String) es.get(0).get("method")).startsWith("continuous NELBO"));
        assertTrue(((String) es.get(1).get("method")).startsWith("LLaDA bound"));
        assertTrue(((String) es.get(2).get("method")).startsWith("discrete NELBO (T=16"));
        for (Map<String, Object> e : es) {
            double bpb = number(e, "bits_per_byte"), se = number(e, "bits_per_byte_se");
            assertTrue(Double.isFinite(bpb) && bpb > 0, e.toString());
            assertTrue(Double.isFinite(se) && se > 0, e.toString());
            assertEquals(24L, e.get("samples"), "12 windows × 2 samples");
            // ASCII text and the byte tokenizer: one byte per token
            assertEquals(e.get("tokens"), e.get("bytes"));
            assertEquals(number(e, "bits_per_token"), bpb, 1e-12);
        }
    }

    @Test
    void theSameSeedGivesTheSameBounds() {
        String[] args = {"eval", "--model", TinyRuns.masked().toString(), "--data", TinyRuns.text().toString(),
                "--max-sequences", "8", "--batch", "2", "--samples", "1", "--steps", "8", "--json"};
        assertEquals(estimates(CommandRun.of(args).json()), estimates(CommandRun.of(args).json()));
    }

    @Test
    void causalModelGetsItsExactNll() {
        Map<String, Object> j = CommandRun.of("eval", "--model", TinyRuns.causal().toString(), "--data", TinyRuns.text().toString(),
                "--seq", "16", "--max-sequences", "10", "--json").json();
        assertEquals("causal", j.get("kind"));
        List<Map<String, Object>> es = estimates(j);
        assertEquals(1, es.size());
        Map<String, Object> e = es.getFirst();
        assertEquals("autoregressive NLL", e.get("method"));
        assertEquals(10L * 15, e.get("tokens"), "token 0 of each window is not scored");
        double bpb = number(e, "bits_per_byte");
        assertTrue(Double.isFinite(bpb) && bpb > 0 && bpb < 12, e.toString());
    }

    @Test
    void tableNamesHowBytesWereCounted() {
        CommandRun r = CommandRun.of("eval", "--model", TinyRuns.causal().toString(), "--data", TinyRuns.text().toString(),
                "--max-sequences", "4");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("bytes: UTF-8 bytes of the evaluated tokens' text"), r.out());
        assertTrue(r.out().contains("bits/byte"), r.out());
    }

    @Test
    void seqOverTheContextAndTooLittleTextAreErrorsNamingTheOption() {
        CommandRun r = CommandRun.of("eval", "--model", TinyRuns.masked().toString(), "--data", TinyRuns.text().toString(), "--seq", "65");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--seq 65 is larger than the model's context length 64"), r.err());

        java.nio.file.Path small = TinyRuns.text().resolveSibling("small.txt");
        TinyRuns.write(small, "short");
        r = CommandRun.of("eval", "--model", TinyRuns.masked().toString(), "--data", small.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("fewer than one window of --seq 32"), r.err());
    }

    @Test
    void leftToRightAddsAnExactNllThatIsPerTokenAndOnlyForMaskedModels() {
        Map<String, Object> j = CommandRun.of("eval", "--model", TinyRuns.masked().toString(), "--data", TinyRuns.text().toString(),
                "--seq", "8", "--max-sequences", "3", "--batch", "4", "--samples", "1", "--steps", "4", "--left-to-right", "--json").json();
        List<Map<String, Object>> es = estimates(j);
        assertEquals(4, es.size());
        Map<String, Object> e = es.get(3);
        assertTrue(((String) e.get("method")).startsWith("left-to-right NLL"), e.toString());
        assertEquals(3L * 8, e.get("tokens"), "every token of each window is scored");
        assertEquals(3L, e.get("samples"), "one value per window");
        double bpb = number(e, "bits_per_byte");
        assertTrue(Double.isFinite(bpb) && bpb > 0 && bpb < 12, e.toString());

        CommandRun r = CommandRun.of("eval", "--model", TinyRuns.causal().toString(), "--data", TinyRuns.text().toString(),
                "--max-sequences", "2", "--left-to-right");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--left-to-right is for masked models"), r.err());
    }

    /**
     * With as many rates as window positions, rate k masks exactly k + 1 tokens, so the profile's mean
     * estimates the LLaDA bound (l ~ U{1..L}, weight L/l): the two must agree within their errors.
     */
    @Test
    @SuppressWarnings("unchecked")
    void maskRateProfileAveragesToTheLladaBoundAndRefusesCausalModels() {
        Map<String, Object> j = CommandRun.of("eval", "--model", TinyRuns.masked().toString(), "--data", TinyRuns.text().toString(),
                "--seq", "8", "--max-sequences", "40", "--samples", "16", "--mask-rates", "8", "--json").json();
        List<Map<String, Object>> rows = (List<Map<String, Object>>) j.get("mask_rate_profile");
        assertEquals(8, rows.size());
        double mean = 0, var = 0;
        for (int k = 0; k < 8; k++) {
            Map<String, Object> row = rows.get(k);
            assertEquals((long) (k + 1), row.get("masked"), row.toString());
            mean += number(row, "nats_per_token") / 8;
            var += Math.pow(number(row, "nats_per_token_se") / 8, 2);
        }
        Map<String, Object> llada = estimates(j).get(1);
        double bound = number(llada, "bits_per_token") * Math.log(2), se = Math.hypot(Math.sqrt(var), number(llada, "bits_per_token_se") * Math.log(2));
        assertEquals(bound, mean, 4 * se, "mean of the profile against the LLaDA bound");
        double h = number(j, "unigram_entropy_nats");
        assertTrue(h > 0 && h < Math.log(256), "unigram entropy of bytes: " + h);

        CommandRun r = CommandRun.of("eval", "--model", TinyRuns.causal().toString(), "--data", TinyRuns.text().toString(), "--mask-rates", "4");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--mask-rates is for masked models"), r.err());
        r = CommandRun.of("eval", "--model", TinyRuns.masked().toString(), "--data", TinyRuns.text().toString(), "--seq", "8", "--mask-rates", "9");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--mask-rates must be in [1, 8]"), r.err());
    }

    /** −Σ p ln p of [0, 0, 1, 2]: p = ½, ¼, ¼ → ½ ln 2 + ½ ln 4 = 1.5 ln 2. */
    @Test
    void unigramEntropyIsHandWorked() {
        assertEquals(1.5 * Math.log(2), EvalCommand.unigramEntropy(new int[] {0, 0, 1, 2}, 5), 1e-12);
    }
}
