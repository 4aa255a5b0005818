package jdlm.sample;

import java.util.Arrays;

/**
 * B sequences being denoised: given tokens (prompt, prefix, suffix) that are never changed, MASK
 * positions still to decode, and tokens committed so far.
 *
 * <p>Rows keep their own lengths: a prompt is left-aligned and followed by its masked answer, and
 * rows are never padded. Padding would be seen by a bidirectional model (there is no padding mask),
 * so a padded batch would not equal each sequence decoded alone; the sampler instead groups rows of
 * equal length into one forward pass.
 *
 * <p>Each row's <em>region</em> is the span from its first to its last masked position at creation;
 * blocks partition it left to right.
 */
public final class Canvas {
    private final int[][] tokens;
    private final boolean[][] given;
    private final int[] regionStart;
    private final int[] regionEnd;
    private final int mask;

    private Canvas(int[][] tokens, int mask) {
        this.mask = mask;
        this.tokens = tokens;
        int b = tokens.length;
        if (b < 1) throw new IllegalArgumentException("a canvas needs at least one sequence");
        given = new boolean[b][];
        regionStart = new int[b];
        regionEnd = new int[b];
        for (int s = 0; s < b; s++) {
            int[] row = tokens[s];
            given[s] = new boolean[row.length];
            int first = -1, last = -1;
            for (int i = 0; i < row.length; i++) {
                if (row[i] == mask) {
                    if (first < 0) first = i;
                    last = i;
                } else {
                    given[s][i] = true;
                }
            }
            regionStart[s] = first < 0 ? row.length : first;
            regionEnd[s] = last + 1 < regionStart[s] ? regionStart[s] : last + 1;
        }
    }

    /** Prompt-completion: row s is {@code [prompts[s] | MASK × length]}. */
    public static Canvas completion(int[][] prompts, int length, int mask) {
        if (length < 1) throw new IllegalArgumentException("--length must be at least 1, got " + length);
        int[][] rows = new int[prompts.length][];
        for (int s = 0; s < prompts.length; s++) {
            int p = prompts[s].length;
            for (int t : prompts[s]) {
                if (t == mask) throw new IllegalArgumentException("prompt " + s + " contains the MASK token " + mask);
            }
            rows[s] = Arrays.copyOf(prompts[s], p + length);
            Arrays.fill(rows[s], p, p + length, mask);
        }
        return new Canvas(rows, mask);
    }

    /** Infilling: every non-MASK token of each row is given; MASK positions may lie anywhere. */
    public static Canvas infill(int[][] rows, int mask) {
        int[][] copy = new int[rows.length][];
        for (int s = 0; s < rows.length; s++) copy[s] = rows[s].clone();
        return new Canvas(copy, mask);
    }

    public int sequences() { return tokens.length; }
    public int length(int s) { return tokens[s].length; }
    public int token(int s, int i) { return tokens[s][i]; }
    public boolean isGiven(int s, int i) { return given[s][i]; }
    public boolean isMasked(int s, int i) { return tokens[s][i] == mask; }
    public int maskToken() { return mask; }
    public int regionStart(int s) { return regionStart[s]; }
    public int regionEnd(int s) { return regionEnd[s]; }

    /** A copy of row s. */
    public int[] row(int s) { return tokens[s].clone(); }

    /** Number of MASK positions of row s in [from, to). */
    public int maskedIn(int s, int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) if (tokens[s][i] == mask) n++;
        return n;
    }

    /** Writes a generated token (never over a given one). */
    void set(int s, int i, int token) {
        if (given[s][i]) throw new IllegalStateException("position " + i + " of sequence " + s + " is given and cannot change");
        tokens[s][i] = token;
    }

    /** Row s with every given token replaced by MASK: the unconditional input of classifier-free guidance. */
    int[] unconditionalRow(int s) {
        int[] u = tokens[s].clone();
        for (int i = 0; i < u.length; i++) if (given[s][i]) u[i] = mask;
        return u;
    }

    /** Reads row s into {@code dst} at {@code off}. */
    void copyRow(int s, int[] dst, int off) {
        System.arraycopy(tokens[s], 0, dst, off, tokens[s].length);
    }
}
