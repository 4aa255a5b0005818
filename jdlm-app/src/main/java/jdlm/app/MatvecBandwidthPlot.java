package jdlm.app;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The stored-weight matrix-vector picture of {@code bench kernels}: per type, GB/s of stored bytes
 * as a fraction of the measured read bandwidth, out of cache (two shapes) and in cache (the
 * kernel's own speed), against the bandwidth (1.0) and the 0.8 goal.
 */
final class MatvecBandwidthPlot {
    private MatvecBandwidthPlot() {}

    private static final int W = 820, H = 440, LEFT = 60, RIGHT = 20, TOP = 48, BOTTOM = 80;
    private static final double TOP_RATIO = 2.0; // taller bars are cut and labelled
    private static final String[] COLORS = {"#08519c", "#6baed6", "#d94801"};

    /**
     * @param series the legend of each bar of a group (key suffixes of {@code ratios})
     * @param ratios per type, the fraction of the bandwidth of each series (null: not measured)
     */
    static String svg(String title, List<String> types, List<String> series, Map<String, double[]> ratios) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">%n", W, H));
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"24\" font-size=\"15\">%s</text>%n", LEFT, title));
        for (int i = 0; i <= 4; i++) {
            double v = TOP_RATIO * i / 4, y = y(v);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>%n", LEFT, y, W - RIGHT, y));
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.1f</text>%n", LEFT - 6, y + 4, v));
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"16\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 16 %d)\">GB/s ÷ read bandwidth</text>%n",
                (TOP + H - BOTTOM) / 2, (TOP + H - BOTTOM) / 2));
        double group = (double) (W - LEFT - RIGHT) / types.size(), bar = group * 0.8 / series.size();
        for (int t = 0; t < types.size(); t++) {
            double x0 = LEFT + t * group + group * 0.1;
            double[] r = ratios.get(types.get(t));
            for (int s = 0; s < series.size(); s++) {
                if (r == null || Double.isNaN(r[s])) continue;
                double v = Math.min(r[s], TOP_RATIO), x = x0 + s * bar, y = y(v);
                sb.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>%n",
                        x, y, bar - 2, y(0) - y, COLORS[s % COLORS.length]));
                sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"9\">%.2f</text>%n",
                        x + (bar - 2) / 2, y - 3, r[s]));
            }
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", x0 + group * 0.4, H - BOTTOM + 16, types.get(t)));
        }
        sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"black\"/>%n", LEFT, y(0), W - RIGHT, y(0)));
        sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"black\" stroke-width=\"1.5\"/>%n", LEFT, y(1), W - RIGHT, y(1)));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" font-size=\"10\">bandwidth</text>%n", W - RIGHT, y(1) - 4));
        sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#a50f15\" stroke-dasharray=\"6 4\"/>%n", LEFT, y(0.8), W - RIGHT, y(0.8)));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" font-size=\"10\" fill=\"#a50f15\">goal 0.8</text>%n", W - RIGHT, y(0.8) + 12));
        for (int s = 0; s < series.size(); s++) {
            int lx = LEFT + s * 240, ly = H - 28;
            sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>%n", lx, ly - 10, COLORS[s % COLORS.length]));
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", lx + 18, ly, series.get(s)));
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"#555\">bars above %.1f are cut; the numbers are the measured ratios</text>%n",
                LEFT, H - 8, TOP_RATIO));
        sb.append("</svg>\n");
        return sb.toString();
    }

    private static double y(double v) {
        return H - BOTTOM - (H - TOP - BOTTOM) * v / TOP_RATIO;
    }
}
