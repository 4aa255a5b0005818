package jdlm.sample;

import java.util.Arrays;
import java.util.SplittableRandom;

import jdlm.model.KVCache;
import jdlm.model.Transformer;

/**
 * Next-token sampling with the causal twin and its KV cache: the prompt goes in with one decode call,
 * then one token per call, until EOS or the token limit. The baseline every diffusion result is
 * compared against.
 */
public final class AutoregressiveSampler {
    private final Transformer model;

    public AutoregressiveSampler(Transformer model) {
        if (!model.config().causal()) {
            throw new IllegalArgumentException("autoregressive sampling needs a causal model; this one is " + model.config().attention());
        }
        this.model = model;
    }

    public GenerationResult generate(int[] prompt, AutoregressiveOptions o, StepListener listener) {
        long start = System.nanoTime();
        int vocab = model.config().vocabSize(), context = model.config().contextLength();
        if (prompt.length < 1) throw new IllegalArgumentException("autoregressive generation needs a prompt of at least one token (e.g. BOS)");
        if (prompt.length + o.maxNewTokens() > context) {
            throw new IllegalArgumentException("the " + prompt.length + "-token prompt plus --max-tokens " + o.maxNewTokens()
                    + " exceeds the model's context length " + context);
        }
        for (int t : prompt) {
            if (t < 0 || t >= vocab) throw new IllegalArgumentException("prompt token " + t + " is outside the vocabulary of " + vocab);
        }
        KVCache cache = new KVCache(model.config(), prompt.length + o.maxNewTokens());
        SplittableRandom rng = new SplittableRandom(o.seed());
        double[] scratch = new double[vocab];
        int[] seq = Arrays.copyOf(prompt, prompt.length + o.maxNewTokens());
        int len = prompt.length, passes = 1, generated = 0;
        float[] logits = model.decode(cache, prompt, 0, prompt.length);
        int row = (prompt.length - 1) * vocab;
        boolean ended = false;
        while (true) {
            int token = o.tokens().choose(logits, row, vocab, rng, scratch);
            seq[len++] = token;
            generated++;
            ended = token == o.eos();
            boolean done = ended || generated == o.maxNewTokens();
            listener.onStep(new StepEvent(0, generated - 1, 0, new int[] {len - 1}, new int[] {token}, new int[0],
                    Arrays.copyOf(seq, len), passes, done));
            if (done) break;
            logits = model.decode(cache, seq, len - 1, 1);
            row = 0;
            passes++;
        }
        int[] answer = Arrays.copyOfRange(seq, prompt.length, ended ? len - 1 : len);
        return new GenerationResult(new int[][] {answer}, new int[][] {Arrays.copyOf(seq, len)}, new int[] {generated},
                passes, System.nanoTime() - start);
    }
}
