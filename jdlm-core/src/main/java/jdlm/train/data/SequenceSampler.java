package jdlm.train.data;

import jdlm.train.BatchSource;

/**
 * Fixed-length training sequences from a range of a token file: the range is cut into
 * {@code W = ⌊length / seqLen⌋} non-overlapping windows (a shorter tail is unused), and each
 * epoch visits every window once, in an order that depends only on (seed, epoch).
 *
 * <p>Sequence number k of the run is window {@code order(k / W)[k % W]}, so any batch can be
 * computed directly ({@link #fill}, what the trainer uses: batch i is the same in a resumed run)
 * or in turn ({@link #nextBatch}), with a position that is saved and restored through
 * {@link State}.
 */
public final class SequenceSampler implements BatchSource {
    /** Where {@link #nextBatch} continues: the epoch and the next position within its order. */
    public record State(long epoch, long position) {}

    private final TokenFile tokens;
    private final TokenRange range;
    private final int seqLen;
    private final int windows;

    private final EpochOrder order;
    private long nextSequence;

    /**
     * @param shuffle false keeps windows in file order (validation: the same windows every time)
     */
    public SequenceSampler(TokenFile tokens, TokenRange range, int seqLen, long seed, boolean shuffle) {
        if (seqLen <= 0) throw new IllegalArgumentException("sequence length must be positive, got " + seqLen);
        if (range.end() > tokens.size()) {
            throw new IllegalArgumentException("token range " + range + " exceeds the " + tokens.size()
                    + " tokens of " + tokens.path());
        }
        long w = range.length() / seqLen;
        if (w < 1) {
            throw new IllegalArgumentException("token range " + range + " of " + tokens.path() + " has "
                    + range.length() + " tokens, fewer than one sequence of " + seqLen
                    + "; use a shorter sequence length or more text");
        }
        if (w > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("token range has " + w + " windows of " + seqLen
                    + ", more than this sampler can order; use a longer sequence length");
        }
        this.tokens = tokens;
        this.range = range;
        this.seqLen = seqLen;
        this.windows = (int) w;
        this.order = new EpochOrder(windows, seed, shuffle);
    }

    /** Number of windows, i.e. sequences per epoch. */
    public int windows() {
        return windows;
    }

    public int seqLen() {
        return seqLen;
    }

    /** Token index range {@code [start, start + seqLen)} of window {@code w}. */
    public TokenRange window(int w) {
        long start = range.start() + (long) w * seqLen;
        return new TokenRange(start, start + seqLen);
    }

    /** Window index of sequence number {@code k} of the run. */
    public int windowOf(long k) {
        return order.itemOf(k);
    }

    /** Batch {@code index} = sequences {@code [index·batch, (index+1)·batch)}, into {@code out[batch·seqLen]}. */
    @Override
    public void fill(long index, int[] out, int batch, int seqLen) {
        if (seqLen != this.seqLen) {
            throw new IllegalArgumentException("sampler makes sequences of " + this.seqLen + " tokens, asked for "
                    + seqLen);
        }
        if (index < 0) throw new IllegalArgumentException("batch index must be non-negative, got " + index);
        fillSequences(Math.multiplyExact(index, (long) batch), out, batch);
    }

    /** The next {@code batch} sequences of the run, into {@code out[batch·seqLen]}. */
    public synchronized void nextBatch(int[] out, int batch) {
        fillSequences(nextSequence, out, batch);
        nextSequence += batch;
    }

    public synchronized State state() {
        return new State(nextSequence / windows, nextSequence % windows);
    }

    /** Continues exactly where a run that saved {@code state} stopped. */
    public synchronized void restore(State state) {
        if (state.epoch() < 0 || state.position() < 0 || state.position() >= windows) {
            throw new IllegalArgumentException("sampler state " + state + " does not fit this data: position must be"
                    + " in [0, " + windows + ") and epoch non-negative (was the token file or sequence length"
                    + " changed?)");
        }
        nextSequence = Math.addExact(Math.multiplyExact(state.epoch(), (long) windows), state.position());
    }

    private void fillSequences(long firstSequence, int[] out, int batch) {
        if (batch <= 0 || (long) batch * seqLen > out.length) {
            throw new IllegalArgumentException("batch " + batch + " × " + seqLen + " does not fit an array of "
                    + out.length);
        }
        for (int b = 0; b < batch; b++) {
            int w = windowOf(firstSequence + b);
            tokens.read(range.start() + (long) w * seqLen, out, b * seqLen, seqLen);
        }
    }
}
