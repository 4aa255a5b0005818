package jdlm.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** The matrix-vector plot is well-formed SVG whose bars are as tall as their ratios say. */
class MatvecBandwidthPlotTest {
    @Test
    void barsAreProportionalToTheRatiosAndTallOnesAreCut() throws Exception {
        Map<String, double[]> ratios = new LinkedHashMap<>();
        ratios.put("F32", new double[] {1.0, 3.0});
        ratios.put("Q4_K", new double[] {0.25, Double.NaN});
        String svg = MatvecBandwidthPlot.svg("t", List.of("F32", "Q4_K"), List.of("out", "in"), ratios);
        NodeList rects = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8))).getElementsByTagName("rect");
        List<Double> heights = new ArrayList<>();
        for (int i = 0; i < rects.getLength(); i++) {
            Element r = (Element) rects.item(i);
            if (r.hasAttribute("x") && !r.getAttribute("width").equals("12")) heights.add(Double.parseDouble(r.getAttribute("height")));
        }
        assertEquals(3, heights.size(), "three measured bars (a NaN draws none): " + heights);
        assertEquals(0.25, heights.get(2) / heights.get(0), 1e-3, "Q4_K's 0.25 against F32's 1.0");
        assertEquals(2.0, heights.get(1) / heights.get(0), 1e-3, "3.0 is cut at the axis top, 2.0");
        assertTrue(svg.contains(">3.00<") && svg.contains(">0.25<"), "the measured ratios are written on the bars");
    }
}
