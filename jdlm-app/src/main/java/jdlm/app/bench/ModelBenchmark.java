package jdlm.app.bench;

import java.util.Arrays;
import java.util.SplittableRandom;

import jdlm.model.Activations;
import jdlm.model.ModelConfig;
import jdlm.model.Transformer;
import jdlm.tensor.CrossEntropy;

/**
 * End-to-end model throughput: inference forward (all positions' logits, what one denoising
 * step costs) and one training step (forward, cross-entropy, backward), in tokens per second
 * and in achieved GFLOP/s, so the figure can be set against the machine's measured peak.
 */
public final class ModelBenchmark {

    /** One measured configuration. {@code gflops} counts model FLOPs (see {@link ModelConfig#forwardFlopsPerToken}). */
    public record Result(String what, int batch, int seqLen, double seconds, double tokensPerSecond, double gflops) {}

    /** The reference model: 6 layers, d = 512, 8 heads, SwiGLU width 1408, byte vocabulary, bidirectional. */
    public static ModelConfig referenceConfig() {
        return ModelConfig.of(6, 512, 8, 1408, 259, 256, ModelConfig.AttentionMode.BIDIRECTIONAL);
    }

    private final ModelConfig config;
    private final Transformer model;
    private final int repetitions;

    public ModelBenchmark(ModelConfig config, int repetitions) {
        this.config = config;
        this.model = Transformer.initialized(config, 1234);
        this.repetitions = repetitions;
    }

    /** Median time of the inference forward over {@code batch} sequences of {@code seqLen} tokens. */
    public Result forward(int batch, int seqLen) {
        int[] tokens = randomTokens(batch * seqLen);
        Activations a = new Activations(config, batch, seqLen, false);
        double s = medianSeconds(() -> model.forward(a, tokens));
        double tokensPerStep = (double) batch * seqLen;
        return new Result("forward", batch, seqLen, s, tokensPerStep / s,
                tokensPerStep * config.forwardFlopsPerToken(seqLen) / s / 1e9);
    }

    /** Median time of forward + cross-entropy + backward (no optimizer) at the given batch. */
    public Result trainingStep(int batch, int seqLen) {
        int n = batch * seqLen, vocab = config.vocabSize();
        int[] tokens = randomTokens(n);
        int[] targets = randomTokens(n);
        Activations a = new Activations(config, batch, seqLen, true);
        float[] dLogits = new float[n * vocab];
        float[] grads = new float[model.parameters().length];
        float[] scale = new float[n];
        Arrays.fill(scale, 1f / n);
        double s = medianSeconds(() -> {
            model.forward(a, tokens);
            CrossEntropy.forward(a.logits(), n, vocab, targets, null);
            Arrays.fill(dLogits, 0f);
            CrossEntropy.backward(dLogits, a.logits(), n, vocab, targets, scale);
            Arrays.fill(grads, 0f);
            model.backward(a, dLogits, grads);
        });
        return new Result("train step", batch, seqLen, s, n / s, 3.0 * n * config.forwardFlopsPerToken(seqLen) / s / 1e9);
    }

    private int[] randomTokens(int n) {
        SplittableRandom r = new SplittableRandom(n);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(config.vocabSize());
        return t;
    }

    private double medianSeconds(Runnable body) {
        for (int i = 0; i < 2; i++) body.run(); // JIT warm-up
        double[] times = new double[repetitions];
        for (int i = 0; i < repetitions; i++) {
            long t0 = System.nanoTime();
            body.run();
            times[i] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(times);
        return times[repetitions / 2];
    }
}
