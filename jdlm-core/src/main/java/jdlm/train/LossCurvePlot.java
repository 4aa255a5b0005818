package jdlm.train;

import java.util.List;
import java.util.Locale;

/**
 * The loss curve of a run as a standalone SVG: training loss per step (thin line) with its running
 * mean, and validation loss (dots), on shared axes. Plain text, no dependencies; a browser or
 * any image viewer shows it.
 */
public final class LossCurvePlot {
    private LossCurvePlot() {}

    /** A point of a series. */
    public record Point(double step, double loss) {}

    private static final int W = 800, H = 450, LEFT = 70, RIGHT = 20, TOP = 40, BOTTOM = 50;

    public static String svg(String title, List<Point> train, List<Point> validation) {
        double maxStep = 1, minLoss = Double.POSITIVE_INFINITY, maxLoss = Double.NEGATIVE_INFINITY;
        for (List<Point> s : List.of(train, validation)) {
            for (Point p : s) {
                if (!Double.isFinite(p.loss)) continue;
                maxStep = Math.max(maxStep, p.step);
                minLoss = Math.min(minLoss, p.loss);
                maxLoss = Math.max(maxLoss, p.loss);
            }
        }
        if (!Double.isFinite(minLoss)) {
            minLoss = 0;
            maxLoss = 1;
        }
        if (maxLoss - minLoss < 1e-9) maxLoss = minLoss + 1;
        double pad = 0.05 * (maxLoss - minLoss);
        double lo = Math.max(0, minLoss - pad), hi = maxLoss + pad;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">%n", W, H));
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"15\">%s</text>%n", LEFT, escape(title)));
        // axes and ticks
        sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", LEFT, H - BOTTOM, W - RIGHT, H - BOTTOM));
        sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", LEFT, TOP, LEFT, H - BOTTOM));
        for (int i = 0; i <= 5; i++) {
            double v = lo + (hi - lo) * i / 5;
            double y = y(v, lo, hi);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n", LEFT, y, W - RIGHT, y));
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.3g</text>%n", LEFT - 6, y + 4, v));
            double s = maxStep * i / 5;
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>%n", x(s, maxStep), H - BOTTOM + 18, Math.round(s)));
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">step</text>%n", (LEFT + W - RIGHT) / 2, H - 10));
        sb.append(String.format(Locale.ROOT,
                "<text x=\"16\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 16 %d)\">loss (nats/token)</text>%n", H / 2, H / 2));
        polyline(sb, train, lo, hi, maxStep, "#9ecae1", 1);
        polyline(sb, runningMean(train, Math.max(1, train.size() / 50)), lo, hi, maxStep, "#08519c", 2);
        for (Point p : validation) {
            if (!Double.isFinite(p.loss)) continue;
            sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"#d94801\"/>%n", x(p.step, maxStep), y(p.loss, lo, hi)));
        }
        int lx = W - RIGHT - 190;
        sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#08519c\" stroke-width=\"2\"/>", lx, TOP + 6, lx + 20, TOP + 6));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">train (running mean)</text>%n", lx + 26, TOP + 10));
        sb.append(String.format(Locale.ROOT, "<circle cx=\"%d\" cy=\"%d\" r=\"3.5\" fill=\"#d94801\"/>", lx + 10, TOP + 24));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">validation</text>%n", lx + 26, TOP + 28));
        sb.append("</svg>\n");
        return sb.toString();
    }

    private static void polyline(StringBuilder sb, List<Point> pts, double lo, double hi, double maxStep, String color, int width) {
        if (pts.isEmpty()) return;
        sb.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%d\" points=\"", color, width));
        for (Point p : pts) {
            if (!Double.isFinite(p.loss)) continue;
            sb.append(String.format(Locale.ROOT, "%.1f,%.1f ", x(p.step, maxStep), y(p.loss, lo, hi)));
        }
        sb.append("\"/>\n");
    }

    static List<Point> runningMean(List<Point> pts, int window) {
        List<Point> out = new java.util.ArrayList<>(pts.size());
        double sum = 0;
        for (int i = 0; i < pts.size(); i++) {
            sum += pts.get(i).loss;
            if (i >= window) sum -= pts.get(i - window).loss;
            out.add(new Point(pts.get(i).step, sum / Math.min(i + 1, window)));
        }
        return out;
    }

    private static double x(double step, double maxStep) {
        return LEFT + (W - LEFT - RIGHT) * step / maxStep;
    }

    private static double y(double loss, double lo, double hi) {
        return H - BOTTOM - (H - TOP - BOTTOM) * (loss - lo) / (hi - lo);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
