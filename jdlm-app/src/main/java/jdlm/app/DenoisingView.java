package jdlm.app;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import jdlm.sample.StepEvent;
import jdlm.sample.StepListener;
import jdlm.tokenizer.Tokenizer;

/**
 * {@code --show-steps}: the canvas as it denoises. On a terminal it is redrawn in place (ANSI cursor
 * moves): given text plain, masked positions a dim {@value #MASK_CELL}, tokens committed in the last
 * step bold green. Elsewhere (file, pipe, CI) a snapshot is printed each time another quarter of the
 * masked positions has been committed, masks shown as {@value #PLAIN_MASK_CELL}.
 */
final class DenoisingView implements StepListener {
    static final String MASK_CELL = "░";
    static final String PLAIN_MASK_CELL = "_";
    private static final long FRAME_NANOS = 30_000_000L; // ~30 redraws a second at most

    private final Tokenizer tokenizer;
    private final PrintWriter out;
    private final boolean live;
    private final int width;
    private final int toGenerate;
    private int drawnLines;
    private int snapshotsShown;
    private long lastFrame;
    private boolean unmasking;

    /** @param toGenerate positions the run fills in (masked at the start, or the AR token budget) */
    DenoisingView(Tokenizer tokenizer, PrintWriter out, boolean live, int toGenerate) {
        this.tokenizer = tokenizer;
        this.out = out;
        this.live = live;
        this.width = Terminal.columns() - 1;
        this.toGenerate = Math.max(1, toGenerate);
    }

    /** Draws the starting canvas (everything still masked). */
    void start(int[] canvas) {
        for (int t : canvas) if (t == tokenizer.maskId()) unmasking = true;
        if (live) draw(canvas, new int[0], "step 0");
        else snapshot(canvas, "start");
    }

    @Override
    public void onStep(StepEvent e) {
        int mask = tokenizer.maskId();
        int masked = 0;
        for (int t : e.canvas()) if (t == mask) masked++;
        String label = String.format(Locale.ROOT, "step %d, block %d, %d masked", e.step() + 1, e.block(), masked);
        if (live) {
            long now = System.nanoTime();
            if (!e.finished() && now - lastFrame < FRAME_NANOS) return;
            lastFrame = now;
            draw(e.canvas(), e.positions(), label);
            if (e.finished()) drawnLines = 0; // leave the last frame on screen
        } else {
            // an AR canvas grows instead of unmasking: there every step adds one token
            int done = unmasking ? toGenerate - masked : e.step() + 1;
            int quarter = (int) (4L * done / toGenerate);
            if (quarter > snapshotsShown && !e.finished()) {
                snapshotsShown = quarter;
                snapshot(e.canvas(), label);
            }
        }
    }

    private void snapshot(int[] canvas, String label) {
        out.println("--- " + label);
        StringBuilder sb = new StringBuilder();
        for (Cell c : cells(canvas, new int[0])) {
            sb.append(c.kind == Kind.MASK ? PLAIN_MASK_CELL : c.text);
        }
        out.println(sb);
        out.flush();
    }

    private void draw(int[] canvas, int[] fresh, String label) {
        StringBuilder sb = new StringBuilder();
        sb.append(Terminal.up(drawnLines)).append(Terminal.CLEAR_TO_END);
        sb.append(Terminal.DIM).append(label).append(Terminal.RESET).append('\n');
        int lines = 1, column = 0;
        Kind style = Kind.GIVEN;
        for (Cell c : cells(canvas, fresh)) {
            if (c.text.equals("\n") || column >= width) {
                sb.append(Terminal.RESET).append('\n');
                lines++;
                column = 0;
                style = Kind.GIVEN;
                if (c.text.equals("\n")) continue;
            }
            if (c.kind != style) {
                sb.append(Terminal.RESET).append(switch (c.kind) {
                    case MASK, SPECIAL -> Terminal.DIM;
                    case FRESH -> Terminal.BOLD_GREEN;
                    default -> "";
                });
                style = c.kind;
            }
            sb.append(c.kind == Kind.MASK ? MASK_CELL : c.text);
            column += c.kind == Kind.MASK ? 1 : c.text.length();
        }
        sb.append(Terminal.RESET).append('\n');
        out.print(sb);
        out.flush();
        drawnLines = lines + 1;
    }

    private enum Kind { GIVEN, COMMITTED, FRESH, MASK, SPECIAL }

    /** One screen cell: a code point (or a marker for a special token) and how to show it. */
    private record Cell(String text, Kind kind) {}

    /** The canvas as cells; runs of ordinary tokens are decoded together so multi-byte characters survive. */
    private List<Cell> cells(int[] canvas, int[] fresh) {
        boolean[] isFresh = new boolean[canvas.length];
        for (int p : fresh) if (p >= 0 && p < canvas.length) isFresh[p] = true;
        List<Cell> cells = new ArrayList<>();
        int i = 0;
        while (i < canvas.length) {
            int t = canvas[i];
            if (t == tokenizer.maskId()) {
                cells.add(new Cell(MASK_CELL, Kind.MASK));
                i++;
                continue;
            }
            if (tokenizer.isSpecial(t)) {
                cells.add(new Cell(tokenizer.specialMarker(t), isFresh[i] ? Kind.FRESH : Kind.SPECIAL));
                i++;
                continue;
            }
            int j = i;
            while (j < canvas.length && !tokenizer.isSpecial(canvas[j]) && isFresh[j] == isFresh[i]) j++;
            Kind kind = isFresh[i] ? Kind.FRESH : Kind.COMMITTED;
            tokenizer.decode(canvas, i, j).codePoints().forEach(cp -> cells.add(new Cell(
                    cp == '\n' ? "\n" : Character.isISOControl(cp) ? " " : Character.toString(cp), kind)));
            i = j;
        }
        return cells;
    }
}
