package jdlm.sample;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The denoising loop (DESIGN.md §2, §5): forward the canvas, choose a token for every masked
 * position of the current block, let the policy pick which to commit, commit, tell the listeners —
 * block by block, left to right, until no MASK is left or EOS ends the answer.
 *
 * <p>Each sequence of the batch keeps its own block, step, transfer counts, random stream and stop.
 * All unfinished sequences are evaluated in the same step; rows of equal length share one model call
 * (a "forward pass"), rows of other lengths get their own (see {@link Canvas}).
 *
 * <p>Scores: for each candidate (masked, inside the current block) the sampler computes
 * probs = softmax(l) in float64, l the guided logits with MASK — and EOS when suppressed as a choice —
 * set to −∞, no temperature, no top-k/top-p; the policy scores it from probs and the chosen token.
 * Everything else scores −∞.
 *
 * <p>Remasking (off by default; ReMDM-style, simple form): in every step except the last of a block's
 * share, before committing, the r committed generated tokens of the current block with the lowest
 * current probability p(token) go back to MASK; they cannot be recommitted in the same step, and the
 * transfer count is recomputed from what is masked (see {@link TransferSchedule#remainingCount}).
 *
 * <p>Block cache (off by default; Fast-dLLM's dual cache): each sequence gets one full pass at the
 * start of every block and, for the block's other steps, passes over the block's positions only,
 * the rest of the canvas entering through keys and values cached at the full pass.
 *
 * <p>A block-diffusion model ({@link DenoisingModel#blockSize} > 0) is decoded in its own blocks,
 * aligned to position 0 (see {@link TransferSchedule#aligned}); with it the block cache is BD3-LM's
 * exact KV cache: a block sees only itself and the committed blocks before it, so each pass covers
 * the current block (and once, the block just finished), never the whole canvas.
 */
public final class DiffusionSampler {
    private final DenoisingModel model;
    private final SpecialTokens special;

    public DiffusionSampler(DenoisingModel model, SpecialTokens special) {
        int v = model.vocabSize();
        if (special.mask() >= v) throw new IllegalArgumentException("mask token " + special.mask() + " is outside the vocabulary of " + v);
        if (special.eos() >= v) throw new IllegalArgumentException("EOS token " + special.eos() + " is outside the vocabulary of " + v);
        if (special.pad() >= v) throw new IllegalArgumentException("PAD token " + special.pad() + " is outside the vocabulary of " + v);
        this.model = model;
        this.special = special;
    }

    /** Per-sequence state of the loop. */
    private static final class Sequence {
        final int index;
        final SplittableRandom rng;
        TransferSchedule schedule;
        int block, stepInBlock, steps;
        boolean done;
        int endedAt = -1;      // position of the EOS that ended the answer
        float[] logits;        // [length, vocab] of the current canvas, MASK (and EOS) suppressed
        boolean stale = true;  // the canvas changed since logits were computed
        WindowedDenoisingModel.Cache kv; // block cache: keys and values of the last full pass
        int cachedBlock = -1;            // the block that full pass was made for
        int finalKvTo;                   // block model: rows before this have keys and values of their final tokens

        Sequence(int index, SplittableRandom rng) {
            this.index = index;
            this.rng = rng;
        }
    }

    /** Decodes {@code canvas} in place and returns the result; {@code listener} sees every step. */
    public GenerationResult generate(Canvas canvas, SamplerOptions o, StepListener listener) {
        long start = System.nanoTime();
        if (canvas.maskToken() != special.mask()) {
            throw new IllegalArgumentException("canvas uses MASK " + canvas.maskToken() + " but the sampler's MASK is " + special.mask());
        }
        if ((o.stopAtEos() || o.suppressEosChoice() || o.suppressEosConfidence()) && special.eos() < 0) {
            throw new IllegalArgumentException("the EOS options need an EOS token, and this vocabulary has none");
        }
        if (o.stopAtEos() && o.fillWithPad() && special.pad() < 0) {
            throw new IllegalArgumentException("filling with PAD needs a PAD token, and this vocabulary has none");
        }
        if (model.blockSize() > 0 && o.blockLength() != 0 && o.blockLength() != model.blockSize()) {
            throw new IllegalArgumentException("this block-diffusion model decodes in its own blocks of " + model.blockSize()
                    + " (counted from position 0); leave --block out or give " + model.blockSize() + ", not " + o.blockLength());
        }
        if (o.blockCache() != BlockCache.NONE) {
            if (!(model instanceof WindowedDenoisingModel)) {
                throw new IllegalArgumentException("the block cache needs a model that can recompute a window of the canvas; this one cannot");
            }
            if (o.guidance() != 0) {
                throw new IllegalArgumentException("--cfg cannot be combined with the block cache (it caches the conditional pass only)");
            }
        }
        int batch = canvas.sequences();
        SplittableRandom root = new SplittableRandom(o.seed());
        Sequence[] seqs = new Sequence[batch];
        for (int s = 0; s < batch; s++) {
            Sequence q = seqs[s] = new Sequence(s, root.split());
            int len = canvas.length(s), region = canvas.regionEnd(s) - canvas.regionStart(s);
            if (len > model.contextLength()) {
                throw new IllegalArgumentException("sequence " + s + " needs " + len + " positions (" + (len - region)
                        + " given + " + region + " to generate, --length) but the model's context length is " + model.contextLength());
            }
            if (region == 0) {
                q.done = true;
                continue;
            }
            q.schedule = model.blockSize() > 0 ? TransferSchedule.aligned(o.steps(), region, model.blockSize(), canvas.regionStart(s))
                    : new TransferSchedule(o.steps(), region, o.blockLength() == 0 ? region : o.blockLength());
        }
        int[] forwardPasses = {0};
        while (true) {
            List<Sequence> active = new ArrayList<>();
            for (Sequence q : seqs) {
                if (q.done) continue;
                skipFinishedBlocks(canvas, q);
                if (!q.done) active.add(q);
            }
            if (active.isEmpty()) break;
            refreshLogits(canvas, active, o, forwardPasses);
            for (Sequence q : active) step(canvas, q, o, forwardPasses[0], listener);
        }
        int[][] answers = new int[batch][], canvases = new int[batch][];
        int[] steps = new int[batch];
        for (int s = 0; s < batch; s++) {
            canvases[s] = canvas.row(s);
            steps[s] = seqs[s].steps;
            int end = seqs[s].endedAt >= 0 ? seqs[s].endedAt : canvas.length(s);
            int[] a = new int[end];
            int n = 0;
            for (int i = 0; i < end; i++) if (!canvas.isGiven(s, i)) a[n++] = canvas.token(s, i);
            answers[s] = Arrays.copyOf(a, n);
        }
        return new GenerationResult(answers, canvases, steps, forwardPasses[0], System.nanoTime() - start);
    }

    private int blockStart(Canvas c, Sequence q) {
        return c.regionStart(q.index) + q.schedule.blockStart(q.block);
    }

    private int blockEnd(Canvas c, Sequence q) {
        return c.regionStart(q.index) + q.schedule.blockEnd(q.block);
    }

    /** Moves past blocks with nothing masked; a sequence past its last block is done. */
    private void skipFinishedBlocks(Canvas c, Sequence q) {
        while (q.block < q.schedule.blocks()) {
            if (c.maskedIn(q.index, blockStart(c, q), blockEnd(c, q)) > 0) return;
            q.block++;
            q.stepInBlock = 0;
        }
        q.done = true;
    }

    /** One model call per distinct row length among the stale sequences (two with guidance). */
    private void refreshLogits(Canvas c, List<Sequence> active, SamplerOptions o, int[] forwardPasses) {
        if (o.blockCache() != BlockCache.NONE) {
            for (Sequence q : active) if (q.stale || !o.cache()) refreshFromBlockCache(c, q, o, forwardPasses);
            return;
        }
        Map<Integer, List<Sequence>> byLength = new LinkedHashMap<>();
        for (Sequence q : active) {
            if (q.stale || !o.cache()) byLength.computeIfAbsent(c.length(q.index), k -> new ArrayList<>()).add(q);
        }
        int vocab = model.vocabSize();
        for (Map.Entry<Integer, List<Sequence>> e : byLength.entrySet()) {
            int len = e.getKey();
            List<Sequence> group = e.getValue();
            int g = group.size();
            int[] rows = new int[g * len];
            for (int i = 0; i < g; i++) c.copyRow(group.get(i).index, rows, i * len);
            float[] cond = call(rows, g, len, forwardPasses);
            if (o.guidance() != 0) { // w = 0 skips the unconditional pass, so it equals plain decoding exactly
                for (int i = 0; i < g; i++) {
                    System.arraycopy(c.unconditionalRow(group.get(i).index), 0, rows, i * len, len);
                }
                float[] uncond = call(rows, g, len, forwardPasses);
                float w1 = (float) (o.guidance() + 1);
                // LLaDA CFG: l = u + (w + 1)(c − u)
                for (int j = 0; j < cond.length; j++) cond[j] = uncond[j] + w1 * (cond[j] - uncond[j]);
            }
            int rowFloats = len * vocab;
            for (int i = 0; i < g; i++) {
                Sequence q = group.get(i);
                q.logits = g == 1 ? cond : Arrays.copyOfRange(cond, i * rowFloats, (i + 1) * rowFloats);
                suppress(q.logits, 0, len, o);
                q.stale = false;
            }
        }
    }

    /**
     * A full pass at the start of each block, then passes over the current block only (dual cache) or
     * over it and everything after it (prefix cache), one sequence per call.
     */
    private void refreshFromBlockCache(Canvas c, Sequence q, SamplerOptions o, int[] forwardPasses) {
        WindowedDenoisingModel wm = (WindowedDenoisingModel) model;
        int s = q.index, len = c.length(s), vocab = model.vocabSize();
        int[] row = c.row(s);
        if (q.kv == null) q.kv = wm.newCache(len);
        if (model.blockSize() > 0) {
            refreshBlockModel(wm, c, q, o);
            forwardPasses[0]++;
            return;
        }
        if (q.cachedBlock != q.block) {
            q.logits = checked(wm.logits(row, len, q.kv), (long) len * vocab);
            suppress(q.logits, 0, len, o);
            q.cachedBlock = q.block;
        } else {
            int lo = blockStart(c, q), hi = o.blockCache() == BlockCache.PREFIX ? len : blockEnd(c, q);
            // a block model's block may begin inside the prompt: its prompt rows attend to the
            // changing rows too, so the window is the whole model block (exact, not stale)
            if (model.blockSize() > 0) lo -= lo % model.blockSize();
            float[] w = checked(wm.windowLogits(row, lo, hi, q.kv), (long) (hi - lo) * vocab);
            System.arraycopy(w, 0, q.logits, lo * vocab, w.length);
            suppress(q.logits, lo, hi, o);
        }
        forwardPasses[0]++;
        q.stale = false;
    }

    /**
     * A block model's exact cache (BD3-LM): one pass over the rows from the first one whose keys and
     * values are not final yet to the end of the current block. Entering a block that is the finished
     * block before it (its last commit came after its last pass) and the new one; within a block, the
     * model block alone — from its start, since prompt rows sharing it attend to the changing ones.
     * Nothing after the current block is ever computed: it cannot be seen.
     */
    private void refreshBlockModel(WindowedDenoisingModel wm, Canvas c, Sequence q, SamplerOptions o) {
        int vocab = model.vocabSize(), lo = blockStart(c, q), hi = blockEnd(c, q);
        lo -= lo % model.blockSize();
        int from = Math.min(q.finalKvTo, lo);
        if (q.logits == null) q.logits = new float[c.length(q.index) * vocab];
        float[] w = checked(wm.windowLogits(c.row(q.index), from, hi, q.kv), (long) (hi - from) * vocab);
        System.arraycopy(w, 0, q.logits, from * vocab, w.length);
        suppress(q.logits, from, hi, o);
        q.finalKvTo = lo; // rows before the current block hold final tokens, and now their keys and values
        q.stale = false;
    }

    /** SUBS: MASK is never predicted; EOS neither when suppressed as a choice. Rows [from, to). */
    private void suppress(float[] logits, int from, int to, SamplerOptions o) {
        int vocab = model.vocabSize();
        for (int t = from; t < to; t++) {
            logits[t * vocab + special.mask()] = Float.NEGATIVE_INFINITY;
            if (o.suppressEosChoice()) logits[t * vocab + special.eos()] = Float.NEGATIVE_INFINITY;
        }
    }

    private static float[] checked(float[] logits, long expected) {
        if (logits.length != expected) throw new IllegalStateException("model returned " + logits.length + " logits, expected " + expected);
        return logits;
    }

    private float[] call(int[] rows, int batch, int len, int[] forwardPasses) {
        float[] out = checked(model.logits(rows, batch, len), (long) batch * len * model.vocabSize());
        forwardPasses[0]++;
        return out;
    }

    private void step(Canvas c, Sequence q, SamplerOptions o, int forwardPasses, StepListener listener) {
        int s = q.index, vocab = model.vocabSize(), len = c.length(s);
        int lo = blockStart(c, q), hi = blockEnd(c, q);
        int stepsInBlock = q.schedule.stepsIn(q.block);
        double[] scratch = new double[vocab], probs = new double[vocab];

        int[] candidates = new int[hi - lo];
        int n = 0;
        for (int i = lo; i < hi; i++) if (c.isMasked(s, i)) candidates[n++] = i;
        candidates = Arrays.copyOf(candidates, n);

        double[] scores = new double[len];
        Arrays.fill(scores, Double.NEGATIVE_INFINITY); // outside the block or already committed
        int[] chosen = new int[len];
        for (int i : candidates) {
            chosen[i] = o.tokens().choose(q.logits, i * vocab, vocab, q.rng, scratch);
            softmax(q.logits, i * vocab, vocab, probs);
            scores[i] = o.policy().score(probs, vocab, chosen[i], q.rng);
            if (o.suppressEosConfidence() && chosen[i] == special.eos()) scores[i] = Double.NEGATIVE_INFINITY;
        }

        int[] remasked = new int[0];
        if (o.remask() > 0 && q.stepInBlock < stepsInBlock - 1) remasked = remask(c, q, lo, hi, o.remask(), probs);

        int count = TransferSchedule.remainingCount(c.maskedIn(s, lo, hi), stepsInBlock, q.stepInBlock);
        int[] commit = o.policy().select(scores, candidates, new BlockStep(q.stepInBlock, stepsInBlock, count), q.rng);
        Arrays.sort(commit);
        int[] tokens = new int[commit.length];
        for (int j = 0; j < commit.length; j++) {
            c.set(s, commit[j], chosen[commit[j]]);
            tokens[j] = chosen[commit[j]];
        }
        if (commit.length > 0 || remasked.length > 0) q.stale = true;
        int block = q.block;
        q.stepInBlock++;
        q.steps++;
        if (o.stopAtEos()) endAtEos(c, q, o);
        if (!q.done && c.maskedIn(s, lo, hi) == 0) {
            q.block++;
            q.stepInBlock = 0;
            if (q.block == q.schedule.blocks()) q.done = true;
        }
        listener.onStep(new StepEvent(s, q.steps - 1, block, commit, tokens, remasked, c.row(s), forwardPasses, q.done));
    }

    /** Returns the r committed generated tokens of [lo, hi) with the lowest current p(token) to MASK. */
    private int[] remask(Canvas c, Sequence q, int lo, int hi, int r, double[] probs) {
        int s = q.index, vocab = model.vocabSize();
        int[] committed = new int[hi - lo];
        double[] lowness = new double[c.length(s)];
        int n = 0;
        for (int i = lo; i < hi; i++) {
            if (c.isGiven(s, i) || c.isMasked(s, i)) continue;
            softmax(q.logits, i * vocab, vocab, probs);
            lowness[i] = -probs[c.token(s, i)];
            committed[n++] = i;
        }
        int[] out = UnmaskingPolicy.highest(lowness, Arrays.copyOf(committed, n), r);
        for (int i : out) c.set(s, i, special.mask());
        Arrays.sort(out);
        return out;
    }

    /**
     * If the first EOS among the generated positions has everything generated before it committed,
     * the answer ends there: later generated positions are filled with EOS (or PAD) and the
     * sequence stops (no further blocks). Given tokens are left as they are.
     */
    private void endAtEos(Canvas c, Sequence q, SamplerOptions o) {
        int s = q.index;
        int eos = -1;
        for (int i = c.regionStart(s); i < c.length(s); i++) {
            if (c.isGiven(s, i)) continue;
            if (c.isMasked(s, i)) return;        // something before any EOS is still undecided
            if (c.token(s, i) == special.eos()) {
                eos = i;
                break;
            }
        }
        if (eos < 0) return;
        int fill = o.fillWithPad() ? special.pad() : special.eos();
        for (int i = eos + 1; i < c.length(s); i++) if (!c.isGiven(s, i)) c.set(s, i, fill);
        q.endedAt = eos;
        q.done = true;
    }

    /** probs = softmax(logits[off, off+n)) in float64; −∞ entries get 0. */
    static void softmax(float[] logits, int off, int n, double[] probs) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < n; v++) max = Math.max(max, logits[off + v]);
        double sum = 0;
        for (int v = 0; v < n; v++) sum += probs[v] = Math.exp(logits[off + v] - max);
        for (int v = 0; v < n; v++) probs[v] /= sum;
    }
}
