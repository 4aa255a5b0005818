package jdlm.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import jdlm.model.ModelConfig;
import jdlm.model.ModelConfig.AttentionMode;
import jdlm.model.Transformer;
import org.junit.jupiter.api.Test;

class GenerativePerplexityTest {

    @Test
    void unigramEntropyIsHandWorked() {
        assertEquals(Math.log(2), GenerativePerplexity.unigramEntropy(new int[] {9, 1, 1, 2, 2}, 1), 1e-12);
        assertEquals(0, GenerativePerplexity.unigramEntropy(new int[] {3, 3, 3}, 0), 0);
        // {a, a, b, c}: −(½ ln ½ + 2·¼ ln ¼) = 1.5 ln 2
        assertEquals(1.5 * Math.log(2), GenerativePerplexity.unigramEntropy(new int[] {0, 0, 1, 2}, 0), 1e-12);
    }

    @Test
    void perplexityIsExpOfTheMeanNllOfGeneratedTokensGivenTheirPrefix() {
        ModelConfig c = ModelConfig.of(1, 16, 2, 24, 10, 16, AttentionMode.CAUSAL);
        Transformer m = Transformer.initialized(c, 4);
        int[] s = {1, 5, 2, 7, 7, 3};
        int from = 2;
        // independent: one forward per prefix, log-softmax in double
        double nll = 0;
        for (int i = from; i < s.length; i++) {
            float[] logits = m.logits(java.util.Arrays.copyOf(s, i), 1, i);
            int row = (i - 1) * c.vocabSize();
            double z = 0;
            for (int v = 0; v < c.vocabSize(); v++) z += Math.exp(logits[row + v]);
            nll += Math.log(z) - logits[row + s[i]];
        }
        nll /= s.length - from;
        GenerativePerplexity.Result r = new GenerativePerplexity(m).score(new int[][] {s}, from);
        assertEquals(nll, r.meanNll(), 1e-5);
        assertEquals(Math.exp(nll), r.perplexity(), 1e-4);
        assertEquals(4, r.tokens());
    }

    @Test
    void aBidirectionalJudgeIsRefused() {
        Transformer m = Transformer.initialized(ModelConfig.of(1, 16, 2, 24, 10, 16, AttentionMode.BIDIRECTIONAL), 1);
        assertThrows(IllegalArgumentException.class, () -> new GenerativePerplexity(m));
    }
}
