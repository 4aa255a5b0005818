package jdlm.app;

import java.util.List;
import java.util.Locale;

/** The speed/quality picture of {@code bench generate}: tokens/s (log axis) against generative perplexity. */
final class SpeedQualityPlot {
    private SpeedQualityPlot() {}

    private static final int W = 820, H = 480, LEFT = 70, RIGHT = 250, TOP = 40, BOTTOM = 50;

    static String svg(String title, List<BenchGenerateCommand.Row> rows) {
        double minX = Double.POSITIVE_INFINITY, maxX = 0, maxY = 0, minY = Double.POSITIVE_INFINITY;
        for (BenchGenerateCommand.Row r : rows) {
            minX = Math.min(minX, r.tokensPerSecond());
            maxX = Math.max(maxX, r.tokensPerSecond());
            minY = Math.min(minY, r.perplexity());
            maxY = Math.max(maxY, r.perplexity());
        }
        double lx0 = Math.floor(Math.log10(minX)), lx1 = Math.ceil(Math.log10(maxX));
        if (lx1 <= lx0) lx1 = lx0 + 1;
        double y0 = Math.max(0, minY - 0.1 * (maxY - minY) - 0.5), y1 = maxY + 0.1 * (maxY - minY) + 0.5;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">%n", W, H));
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"24\" font-size=\"15\">%s</text>%n", LEFT, title));
        sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", LEFT, H - BOTTOM, W - RIGHT, H - BOTTOM));
        sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", LEFT, TOP, LEFT, H - BOTTOM));
        for (double e = lx0; e <= lx1; e++) {
            double x = x(Math.pow(10, e), lx0, lx1);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>%n", x, TOP, x, H - BOTTOM));
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", x, H - BOTTOM + 18, (long) Math.pow(10, e)));
        }
        for (int i = 0; i <= 5; i++) {
            double v = y0 + (y1 - y0) * i / 5, y = y(v, y0, y1);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>%n", LEFT, y, W - RIGHT, y));
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.2f</text>%n", LEFT - 6, y + 4, v));
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">tokens per second (log)</text>%n", (LEFT + W - RIGHT) / 2, H - 12));
        sb.append(String.format(Locale.ROOT, "<text x=\"16\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 16 %d)\">generative perplexity (lower is better)</text>%n", H / 2, H / 2));
        int legend = 0;
        for (BenchGenerateCommand.Row r : rows) {
            String color = r.kind().equals("ar") ? "#d94801" : "#08519c";
            double x = x(r.tokensPerSecond(), lx0, lx1), y = y(r.perplexity(), y0, y1);
            sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\"/>%n", x, y, color));
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\">%d</text>%n", x + 7, y - 6, legend + 1));
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"%s\">%d. %s (H=%.2f)</text>%n",
                    W - RIGHT + 12, TOP + 14 + 16 * legend, color, legend + 1, r.name(), r.entropy()));
            legend++;
        }
        sb.append("</svg>\n");
        return sb.toString();
    }

    private static double x(double v, double lx0, double lx1) {
        return LEFT + (W - LEFT - RIGHT) * (Math.log10(v) - lx0) / (lx1 - lx0);
    }

    private static double y(double v, double y0, double y1) {
        return H - BOTTOM - (H - TOP - BOTTOM) * (v - y0) / (y1 - y0);
    }
}
