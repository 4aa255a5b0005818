package jdlm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdlm.model.ModelConfig;
import jdlm.model.ParameterLayout;
import org.junit.jupiter.api.Test;

class AdamWTest {
    private static final ModelConfig C = ModelConfig.of(1, 4, 2, 6, 5, 8, ModelConfig.AttentionMode.CAUSAL);

    @Test
    void updatesMatchAFloat64HandComputation() {
        ParameterLayout layout = new ParameterLayout(C);
        AdamW opt = new AdamW(layout, 0.9, 0.95, 1e-8, 0.1);
        int n = layout.size();
        float[] p = new float[n];
        double[] pRef = new double[n], m = new double[n], v = new double[n];
        for (int i = 0; i < n; i++) {
            p[i] = (float) Math.sin(i);
            pRef[i] = p[i];
        }
        boolean[] isNormGain = new boolean[n]; // norm gains get no weight decay
        for (ParameterLayout.View view : layout.views().values()) {
            if (view.name().contains("norm")) for (int i = 0; i < view.size(); i++) isNormGain[view.offset() + i] = true;
        }
        for (int step = 1; step <= 3; step++) {
            float[] g = new float[n];
            for (int i = 0; i < n; i++) g[i] = (float) Math.cos(i * step);
            double lr = 0.01 * step;
            opt.step(p, g, lr);
            for (int i = 0; i < n; i++) {
                m[i] = 0.9 * m[i] + 0.1 * g[i];
                v[i] = 0.95 * v[i] + 0.05 * g[i] * g[i];
                double mh = m[i] / (1 - Math.pow(0.9, step)), vh = v[i] / (1 - Math.pow(0.95, step));
                boolean decays = !isNormGain[i];
                pRef[i] -= lr * (mh / (Math.sqrt(vh) + 1e-8) + (decays ? 0.1 * pRef[i] : 0));
            }
        }
        for (int i = 0; i < n; i++) assertEquals(pRef[i], p[i], 1e-5, "parameter " + i);
    }

    @Test
    void clippingBoundsTheGlobalNorm() {
        float[] g = {3, 4}; // norm 5
        assertEquals(5.0, AdamW.clipGlobalNorm(g, 1.0), 1e-12);
        assertEquals(1.0, Math.hypot(g[0], g[1]), 1e-5);
        float[] small = {0.3f, 0.4f};
        AdamW.clipGlobalNorm(small, 1.0);
        assertEquals(0.3f, small[0]);
    }

    @Test
    void learningRateSchedulesHaveTheirShapes() {
        LearningRateSchedule cos = new LearningRateSchedule(LearningRateSchedule.Kind.COSINE, 1e-3, 1e-4, 10, 110, 0);
        assertEquals(1e-4, cos.at(0), 1e-12);              // warm-up starts at peak/warmup
        assertEquals(1e-3, cos.at(9), 1e-12);              // reaches the peak
        assertEquals(0.5 * (1e-3 + 1e-4), cos.at(60), 1e-12); // half-way: the mean of peak and min
        assertEquals(1e-4, cos.at(110), 1e-12);
        LearningRateSchedule wsd = new LearningRateSchedule(LearningRateSchedule.Kind.WSD, 1e-3, 0, 0, 100, 0.2);
        assertEquals(1e-3, wsd.at(79), 1e-12);
        assertEquals(0.5e-3, wsd.at(90), 1e-12);
        assertTrue(wsd.at(99) < 1e-4);
    }
}
