package jdlm.eval;

import jdlm.model.Activations;
import jdlm.model.Transformer;
import jdlm.tensor.CrossEntropy;

/**
 * How good generated text is, judged by a causal reference model (the AR twin): generative
 * perplexity exp(mean NLL of the generated tokens given their prefix), reported WITH the
 * samples' unigram entropy, since degenerate low-entropy text (one token repeated) scores a
 * deceptively low perplexity (MDLM / SEDD report both for that reason).
 */
public final class GenerativePerplexity {

    /** Perplexity and mean per-sequence unigram entropy (nats) of a set of samples. */
    public record Result(double perplexity, double meanNll, double entropy, int sequences, long tokens) {}

    private final Transformer judge;

    public GenerativePerplexity(Transformer judge) {
        if (!judge.config().causal()) throw new IllegalArgumentException("generative perplexity needs a causal (autoregressive) judge model");
        this.judge = judge;
    }

    /**
     * Scores each sample's tokens from position {@code from} on (the generated part; tokens
     * before it are context), each sample in its own forward pass.
     */
    public Result score(int[][] samples, int from) {
        double nllSum = 0, entropySum = 0;
        long scored = 0;
        int counted = 0;
        int vocab = judge.config().vocabSize();
        for (int[] s : samples) {
            int start = Math.max(from, 1);
            if (s.length <= start) continue;
            if (s.length > judge.config().contextLength()) {
                throw new IllegalArgumentException("sample of " + s.length + " tokens is longer than the judge's context " + judge.config().contextLength());
            }
            Activations a = new Activations(judge.config(), 1, s.length, false);
            judge.forward(a, s);
            int[] targets = new int[s.length];
            java.util.Arrays.fill(targets, -1);
            for (int i = start; i < s.length; i++) targets[i - 1] = s[i]; // position i−1 predicts token i
            nllSum += CrossEntropy.forward(a.logits(), s.length, vocab, targets, null);
            scored += s.length - start;
            entropySum += unigramEntropy(s, from);
            counted++;
        }
        if (counted == 0) throw new IllegalArgumentException("no generated tokens to score");
        double meanNll = nllSum / scored;
        return new Result(Math.exp(meanNll), meanNll, entropySum / counted, counted, scored);
    }

    /** Entropy (nats) of the empirical distribution of tokens s[from..]. */
    public static double unigramEntropy(int[] s, int from) {
        java.util.Map<Integer, Integer> counts = new java.util.HashMap<>();
        for (int i = from; i < s.length; i++) counts.merge(s[i], 1, Integer::sum);
        double n = s.length - from, h = 0;
        for (int c : counts.values()) h -= c / n * Math.log(c / n);
        return h;
    }
}
