package jdlm.noise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class NoiseScheduleTest {
    private static final List<NoiseSchedule> ALL = List.of(
            new LinearSchedule(1e-3), new CosineSchedule(1e-3), new PolynomialSchedule(2, 1e-3), new PolynomialSchedule(0.5, 1e-3));

    @Test
    void loglinearWeightIsOneOverT() {
        NoiseSchedule s = new LinearSchedule(1e-3);
        for (double t : new double[] {1e-3, 0.1, 0.37, 0.9, 1.0}) {
            assertEquals(1 / t, s.weight(t), 0.0);
            // and agrees with the general formula −α′/(1 − α)
            assertEquals(1 / t, -s.alphaPrime(t) / (1 - s.alpha(t)), 1e-12 / t);
        }
    }

    @Test
    void alphaPrimeMatchesFiniteDifferences() {
        for (NoiseSchedule s : ALL) {
            for (double t = 0.05; t < 0.96; t += 0.1) {
                double h = 1e-6;
                double fd = (s.alpha(t + h) - s.alpha(t - h)) / (2 * h);
                assertEquals(fd, s.alphaPrime(t), 1e-7 * (1 + Math.abs(fd)), s.name() + " at t=" + t);
            }
        }
    }

    @Test
    void alphaDecreasesFromNearOneToNearZero() {
        for (NoiseSchedule s : ALL) {
            assertTrue(s.alpha(0) > 0.998 && s.alpha(0) <= 1, s.name() + " α(0)=" + s.alpha(0));
            assertTrue(s.alpha(1) < 0.002 && s.alpha(1) >= 0, s.name() + " α(1)=" + s.alpha(1));
            for (double t = 0; t < 1; t += 0.01) assertTrue(s.alpha(t + 0.01) < s.alpha(t), s.name());
        }
    }

    @Test
    void handWorkedValues() {
        // cosine at t = 1/2: 1 − cos(π/4) = 1 − √2/2, scaled: (1 − 2ε)(1 − √2/2) + ε
        assertEquals(0.998 * (1 - Math.sqrt(2) / 2) + 0.001, new CosineSchedule(1e-3).alpha(0.5), 1e-15);
        // poly2 at t = 0.3: 1 − 0.09 = 0.91 → 0.998·0.91 + 0.001
        assertEquals(0.998 * 0.91 + 0.001, new PolynomialSchedule(2, 1e-3).alpha(0.3), 1e-15);
        // linear with ε = 0.1 at t = 0.5: 1 − 0.9·0.5
        assertEquals(0.55, new LinearSchedule(0.1).alpha(0.5), 1e-15);
    }

    @Test
    void namesResolveAndUnknownNamesAreRejected() {
        assertEquals("cosine", NoiseSchedule.named("cosine").name());
        assertEquals("poly3", NoiseSchedule.named("poly3").name());
        assertEquals("linear", NoiseSchedule.named("linear").name());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NoiseSchedule.named("sigmoid"));
        assertTrue(e.getMessage().contains("linear, cosine or polyK"));
    }
}
