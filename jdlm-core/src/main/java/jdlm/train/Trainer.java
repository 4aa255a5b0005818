package jdlm.train;

import java.util.Arrays;
import java.util.SplittableRandom;

import jdlm.model.Activations;
import jdlm.model.Transformer;

/**
 * The training loop, readable as a story: batch, corrupt, forward, loss, backward, clip, AdamW,
 * (validate), (checkpoint). All randomness of step s derives from (seed, s), and batch s of the
 * data is fixed, so a resumed run reproduces the uninterrupted one exactly.
 */
public final class Trainer {

    /** What the trainer reports; the CLI draws progress and writes metrics from it. */
    public interface Listener {
        default void onStep(StepMetrics m) {}
        default void onValidation(int step, double loss) {}
        /** Called after the state of {@code completedSteps} updates may be saved. */
        default void onCheckpoint(int completedSteps) {}
    }

    /** One update: its loss (nats per token), learning rate, gradient norm before clipping, throughput. */
    public record StepMetrics(int step, double loss, double lr, double gradNorm, double tokensPerSecond, double seconds) {}

    private final Transformer model;
    private final Objective objective;
    private final TrainingOptions options;
    private final AdamW optimizer;
    private final float[] grads;
    private final float[] ema;
    private Activations activations;
    private float[] dLogits;
    private int completedSteps;

    public Trainer(Transformer model, Objective objective, TrainingOptions options) {
        if (options.seqLen() > model.config().contextLength()) {
            throw new IllegalArgumentException("--seq " + options.seqLen() + " is larger than the model's context length "
                    + model.config().contextLength() + "; use --seq ≤ " + model.config().contextLength() + " or a larger --context");
        }
        this.model = model;
        this.objective = objective;
        this.options = options;
        this.optimizer = new AdamW(model.layout(), options.beta1(), options.beta2(), 1e-8, options.weightDecay());
        this.grads = new float[model.parameters().length];
        this.ema = options.emaDecay() > 0 ? model.parameters().clone() : null;
    }

    public Transformer model() { return model; }
    public AdamW optimizer() { return optimizer; }
    public int completedSteps() { return completedSteps; }

    /** The EMA weights, or null when EMA is off. */
    public float[] emaParameters() { return ema; }

    /** Continue from a checkpoint's state: parameters are already in the model. */
    public void restore(int completedSteps, float[] m, float[] v, float[] emaWeights) {
        optimizer.restore(m, v, completedSteps);
        if (ema != null && emaWeights != null) System.arraycopy(emaWeights, 0, ema, 0, ema.length);
        this.completedSteps = completedSteps;
    }

    /** Runs updates until {@code options.steps()} are done. */
    public void run(BatchSource train, BatchSource validation, Listener listener) {
        while (completedSteps < options.steps()) {
            StepMetrics m = step(train);
            int done = completedSteps;
            if (validation != null && options.evalEvery() > 0 && options.evalBatches() > 0
                    && (done % options.evalEvery() == 0 || done == options.steps())) {
                listener.onValidation(done, validate(validation, options.evalBatches()));
            }
            listener.onStep(m); // after its validation, so a progress line shows the step's own
            if ((options.checkpointEvery() > 0 && done % options.checkpointEvery() == 0) || done == options.steps()) {
                listener.onCheckpoint(done);
            }
        }
    }

    /** One optimizer update over {@code accumulation} micro-batches. */
    public StepMetrics step(BatchSource train) {
        long t0 = System.nanoTime();
        int step = completedSteps, B = options.batch(), L = options.seqLen(), accum = options.accumulation();
        Arrays.fill(grads, 0f);
        int[] x0 = new int[B * L], prompts = new int[B];
        double loss = 0;
        long tokens = 0;
        for (int micro = 0; micro < accum; micro++) {
            train.fill((long) step * accum + micro, x0, prompts, B, L);
            TrainingBatch batch = objective.prepare(x0, prompts, B, L, rngFor(options.seed(), step, micro));
            float[] w = batch.weights();
            for (int i = 0; i < w.length; i++) w[i] /= accum;
            loss += forwardBackward(batch);
            tokens += (long) batch.batch() * (batch.cleanNoisyPairs() ? batch.seqLen() / 2 : batch.seqLen());
        }
        double norm = AdamW.clipGlobalNorm(grads, options.clipNorm());
        if (!Double.isFinite(loss) || !Double.isFinite(norm)) throw new NonFiniteLossException(step, loss, norm);
        double lr = options.lr().at(step);
        optimizer.step(model.parameters(), grads, lr);
        if (ema != null) {
            float d = (float) options.emaDecay();
            float[] p = model.parameters();
            for (int i = 0; i < p.length; i++) ema[i] = d * ema[i] + (1 - d) * p[i];
        }
        completedSteps = step + 1;
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new StepMetrics(step + 1, loss, lr, norm, tokens / seconds, seconds);
    }

    private double forwardBackward(TrainingBatch batch) {
        Activations a = activations(batch);
        model.forward(a, batch.inputs());
        Arrays.fill(dLogits, 0, a.logits().length, 0f);
        double loss = objective.lossAndGradient(a.logits(), model.config().vocabSize(), batch, dLogits);
        model.backward(a, dLogits, grads);
        return loss;
    }

    /** Mean objective loss over the first {@code batches} validation batches, with fixed randomness. */
    public double validate(BatchSource validation, int batches) {
        int B = options.batch(), L = options.seqLen();
        int[] x0 = new int[B * L], prompts = new int[B];
        double sum = 0;
        for (int i = 0; i < batches; i++) {
            validation.fill(i, x0, prompts, B, L);
            TrainingBatch batch = objective.prepare(x0, prompts, B, L, rngFor(options.seed() ^ 0x5EEDL, i, 0));
            Activations a = new Activations(model.config(), batch.batch(), batch.seqLen(), false, batch.cleanNoisyPairs());
            model.forward(a, batch.inputs());
            sum += objective.lossAndGradient(a.logits(), model.config().vocabSize(), batch, null);
        }
        return sum / batches;
    }

    /** Reuses the training activations while the shape stays the same (LLaDA's crops change it). */
    private Activations activations(TrainingBatch b) {
        if (activations == null || activations.batch() != b.batch() || activations.seqLen() != b.seqLen()) {
            activations = new Activations(model.config(), b.batch(), b.seqLen(), true, b.cleanNoisyPairs());
            if (dLogits == null || dLogits.length < activations.logits().length) dLogits = new float[activations.logits().length];
        }
        return activations;
    }

    /** The random stream of one micro-batch, a pure function of (seed, step, micro). */
    static SplittableRandom rngFor(long seed, int step, int micro) {
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step * 0xBF58476D1CE4E5B9L + micro * 0x94D049BB133111EBL);
    }
}
