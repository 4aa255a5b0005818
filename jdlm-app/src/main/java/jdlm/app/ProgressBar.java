package jdlm.app;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress display on stderr: redrawn in place on a terminal, or printed as a plain
 * line every few seconds when stderr is a file or a pipe (CI logs stay readable).
 */
final class ProgressBar {
    private final PrintStream out;
    private final long total;
    private final boolean interactive;
    private final long startNanos = System.nanoTime();
    private long lastPrint;

    ProgressBar(long total) {
        this.out = System.err;
        this.total = total;
        this.interactive = Terminal.interactive();
    }

    /** Shows progress {@code done}/{@code total} with a free-form status after the bar. */
    void update(long done, long startedAt, String status) {
        long now = System.nanoTime();
        boolean last = done >= total;
        if (!interactive && !last && now - lastPrint < 5_000_000_000L) return;
        lastPrint = now;
        double elapsed = (now - startNanos) / 1e9;
        double rate = (done - startedAt) / Math.max(elapsed, 1e-9);
        String eta = rate > 0 ? duration((total - done) / rate) : "?";
        int width = 24, filled = (int) (width * done / Math.max(1, total));
        String bar = "=".repeat(filled) + (filled < width ? ">" + " ".repeat(width - filled - 1) : "");
        String line = String.format(Locale.ROOT, "%d/%d [%s] %s | %s elapsed, ETA %s", done, total, bar, status,
                duration(elapsed), eta);
        if (interactive) {
            out.print("\r" + line + "\u001b[K");
            if (last) out.println();
        } else {
            out.println(line);
        }
        out.flush();
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) return s + "s";
        if (s < 3600) return (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s";
        return (s / 3600) + "h" + String.format(Locale.ROOT, "%02d", (s % 3600) / 60) + "m";
    }
}
