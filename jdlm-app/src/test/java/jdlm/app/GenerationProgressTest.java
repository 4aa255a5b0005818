package jdlm.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import jdlm.sample.StepEvent;
import org.junit.jupiter.api.Test;

/** The progress line of a long generation, and silence for a short one. */
class GenerationProgressTest {
    private static StepEvent step(int step, boolean finished) {
        return new StepEvent(0, step, 0, new int[0], new int[0], new int[0], new int[0], step + 1, finished);
    }

    private static String stderrOf(GenerationProgress p, int steps) {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            for (int i = 0; i < steps; i++) p.onStep(step(i, i == steps - 1));
        } finally {
            System.setErr(err);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aLongGenerationShowsItsStepsAndEndsAtTheTotal() {
        // at once "long": the first step prints, then (not a terminal here) the last one
        String shown = stderrOf(new GenerationProgress(8, "denoising", 0), 6); // ends at EOS after 6 of 8
        assertTrue(shown.startsWith("1/8 [") && shown.contains("denoising, 1 forward pass |"), shown);
        assertTrue(shown.contains("8/8 [========================] denoising, 6 forward passes"), shown);
    }

    @Test
    void aShortGenerationPrintsNothing() {
        assertEquals("", stderrOf(new GenerationProgress(8, "denoising", 3600), 8));
    }
}
