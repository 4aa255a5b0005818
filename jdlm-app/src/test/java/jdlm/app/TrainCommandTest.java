package jdlm.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jdlm.format.Json;
import jdlm.train.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCommandTest {

    @TempDir Path dir;

    /**
     * A constant learning rate (no warm-up) makes the first N steps of every run the same whatever
     * --steps says, so a second run stopped at the best step gives the weights best.safetensors
     * must hold. The learning rate is high so that the validation loss goes down and up again:
     * when the test was written the best was step 5 of 16, so the weights kept are not the last
     * ones (the checks hold wherever the best falls).
     */
    @Test
    void keepBestHoldsTheWeightsOfTheLowestValidationLoss() throws Exception {
        Path run = dir.resolve("run");
        train(run, "--steps", "12", "--keep-best");
        assertBestIsTheMinimum(run);

        // a resumed run keeps the option and replaces the file only with a lower loss
        assertEquals(0, CommandRun.of("train", "--out", run.toString(), "--resume", "--steps", "16").exit());
        int bestStep = assertBestIsTheMinimum(run);

        Path again = dir.resolve("again");
        train(again, "--steps", String.valueOf(bestStep));
        Checkpoint best = Checkpoint.load(run.resolve(TrainCommand.BEST));
        assertArrayEquals(Checkpoint.load(again.resolve(TrainCommand.CHECKPOINT)).parameters(), best.parameters(),
                "best.safetensors holds the weights after step " + bestStep);
        assertNull(best.adamM(), "weights only: the run goes on from checkpoint.safetensors");

        CommandRun eval = CommandRun.of("eval", "--model", run.resolve(TrainCommand.BEST).toString(), "--data", TinyRuns.text().toString(),
                "--max-sequences", "2", "--json");
        assertEquals(0, eval.exit(), eval.err());
    }

    /** A tiny run that must succeed (the command's messages go to System.err, not to CommandRun). */
    private static void train(Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("train", "--data", TinyRuns.text().toString(), "--out", out.toString(),
                "--preset", "tiny", "--layers", "1", "--dim", "32", "--heads", "2", "--hidden", "64", "--context", "64",
                "--seq", "32", "--batch", "2", "--lr", "0.03", "--lr-schedule", "constant", "--warmup", "0",
                "--eval-every", "1", "--eval-batches", "2", "--seed", "1"));
        args.addAll(List.of(more));
        assertEquals(0, CommandRun.of(args.toArray(String[]::new)).exit(), "jdlm " + String.join(" ", args));
    }

    /** Checks best.safetensors against metrics.jsonl and returns the best step. */
    @SuppressWarnings("unchecked")
    private static int assertBestIsTheMinimum(Path run) throws Exception {
        int argmin = -1;
        double min = Double.POSITIVE_INFINITY;
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            Map<String, Object> m = Json.parseObject(line, 1 << 10);
            if (m.get("val_loss") instanceof Number v && v.doubleValue() < min) {
                min = v.doubleValue();
                argmin = ((Number) m.get("step")).intValue();
            }
        }
        Map<String, Object> state = Json.parseObject(Checkpoint.load(run.resolve(TrainCommand.BEST)).training(), 1 << 20);
        assertEquals(argmin, ((Number) state.get("completed_steps")).intValue(), "the step of the lowest validation loss");
        assertEquals(min, ((Number) state.get("best_val_loss")).doubleValue(), 1e-6, "metrics.jsonl rounds to 6 decimals");
        return argmin;
    }
}
