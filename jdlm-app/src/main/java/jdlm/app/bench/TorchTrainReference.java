package jdlm.app.bench;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jdlm.format.Json;
import jdlm.format.JsonException;

/**
 * The PyTorch side of {@code jdlm bench train --vs-torch}: a {@code python3} process running the
 * bundled {@code torch_train_bench.py} in serve mode, so its timed rounds can be interleaved with
 * jdlm's. PyTorch is only a yardstick: nothing here links to it, it is launched like any program.
 * The child gets, in its own environment only: {@code OPENBLAS_CORETYPE=SkylakeX} (on AVX-512
 * CPUs; DESIGN.md §7: the machine's Haswell setting halves OpenBLAS), its thread counts, and
 * {@code OMP_WAIT_POLICY=PASSIVE}: torch's idle OpenMP workers otherwise spin on the cores that
 * OpenBLAS's own threads need, which halved torch's step on the shared 2-core machines.
 */
public final class TorchTrainReference implements AutoCloseable {

    public static final String INSTALL_HINT =
            "install with: apt-get install python3-torch libopenblas0-pthread  (or scripts/install-torch-reference.sh)";
    private static final String SCRIPT = "torch_train_bench.py";
    private static final int MAX_LINE = 1 << 20;

    /** The model and batch both sides train. */
    public record Shape(int layers, int dim, int heads, int hidden, int vocab, int seq, int batch) {}

    /** PyTorch cannot be run: no python, no torch, or the script failed before it was ready. */
    public static final class UnavailableException extends RuntimeException {
        public UnavailableException(String message) { super(message); }
    }

    private final Process process;
    private final BufferedReader out;
    private final BufferedWriter in;
    private final Path stderrLog;
    private final Path scriptFile;
    private final Map<String, Object> info;
    private final Map<String, String> childEnvironment;
    private double lastLoss = Double.NaN;

    private TorchTrainReference(Process process, Path stderrLog, Path scriptFile, Map<String, String> childEnvironment) {
        this.childEnvironment = Map.copyOf(childEnvironment);
        this.process = process;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        this.stderrLog = stderrLog;
        this.scriptFile = scriptFile;
        this.info = readReady();
    }

    /** The variables this class set in the child's environment (the rest is inherited). */
    public Map<String, String> environment() { return childEnvironment; }

    /**
     * Starts the script and waits until torch is imported and the model built.
     *
     * @param python  the interpreter (see {@link #defaultPython()})
     * @param threads torch's intra-op threads and the BLAS / OpenMP thread counts
     */
    public static TorchTrainReference start(String python, Shape s, int threads) {
        return start(python, s, threads, Map.of());
    }

    /** As {@link #start(String, Shape, int)}, with {@code overrides} applied last to the child's environment. */
    public static TorchTrainReference start(String python, Shape s, int threads, Map<String, String> overrides) {
        Path script, log;
        try {
            script = extractScript();
            log = Files.createTempFile("jdlm-torch-", ".stderr");
        } catch (IOException e) {
            throw new UnavailableException("cannot write the torch benchmark script to a temporary file: " + e.getMessage());
        }
        List<String> cmd = new ArrayList<>(List.of(python, script.toString(), "--serve",
                "--layers", "" + s.layers(), "--dim", "" + s.dim(), "--heads", "" + s.heads(), "--hidden", "" + s.hidden(),
                "--vocab", "" + s.vocab(), "--seq", "" + s.seq(), "--batch", "" + s.batch(), "--threads", "" + threads));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(log.toFile());
        Map<String, String> env = environment(threads, hasAvx512());
        env.putAll(overrides);
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new UnavailableException("cannot run '" + python + "' (" + e.getMessage() + "): the PyTorch reference needs"
                    + " python3 with torch; " + INSTALL_HINT);
        }
        try {
            return new TorchTrainReference(p, log, script, env);
        } catch (RuntimeException e) {
            p.destroyForcibly();
            throw e;
        }
    }

    /** What the script reported when ready: torch version, BLAS libraries, OpenBLAS kernel, threads. */
    public Map<String, Object> info() { return info; }

    /** Loss of the last step run (nats per token), to check both sides compute the same objective. */
    public double lastLoss() { return lastLoss; }

    /** Runs {@code steps} training steps; returns each one's seconds. */
    public double[] run(int steps) {
        send("run " + steps);
        Map<String, Object> m = readLine("a round of " + steps + " steps");
        if (!(m.get("step_seconds") instanceof List<?> list) || list.size() != steps) {
            throw new IllegalStateException("torch script answered without " + steps + " step times: " + m);
        }
        double[] s = new double[steps];
        for (int i = 0; i < steps; i++) s[i] = ((Number) list.get(i)).doubleValue();
        if (m.get("loss") instanceof Number loss) lastLoss = loss.doubleValue();
        return s;
    }

    @Override
    public void close() {
        try {
            send("quit");
        } catch (RuntimeException ignored) {
            // already gone
        }
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(stderrLog);
            Files.deleteIfExists(scriptFile);
        } catch (IOException ignored) {
            // temporary files; the OS cleans up
        }
    }

    /** {@code /usr/bin/python3} when it exists (Debian's torch lives there, not in a pyenv), else {@code python3}. */
    public static String defaultPython() {
        return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    }

    /** The child's extra environment: thread counts, and OpenBLAS's AVX-512 kernels where the CPU has them. */
    static Map<String, String> environment(int threads, boolean avx512) { // mutable: start() adds the overrides
        var env = new java.util.LinkedHashMap<String, String>();
        env.put("OMP_NUM_THREADS", "" + threads);
        env.put("OPENBLAS_NUM_THREADS", "" + threads);
        env.put("MKL_NUM_THREADS", "" + threads);
        env.put("OMP_WAIT_POLICY", "PASSIVE");
        if (avx512) env.put("OPENBLAS_CORETYPE", "SkylakeX");
        return env;
    }

    /**
     * Parses one line the script printed. A line with {@code "error": "no_torch"} becomes an
     * {@link UnavailableException} carrying the install hint; other errors and non-JSON lines are
     * reported with the line itself.
     */
    static Map<String, Object> parseLine(String line, String waitingFor) {
        if (line == null) throw new UnavailableException("the torch script ended while jdlm waited for " + waitingFor);
        Map<String, Object> m;
        try {
            m = Json.parseObject(line.strip(), MAX_LINE);
        } catch (JsonException e) {
            throw new UnavailableException("the torch script printed a line that is not a JSON object while jdlm waited for "
                    + waitingFor + ": " + abbreviate(line) + " (" + e.getMessage() + ")");
        }
        if (m.get("error") instanceof String error) {
            if (error.equals("no_torch")) {
                throw new UnavailableException(m.getOrDefault("python", "python3") + " cannot import torch ("
                        + m.getOrDefault("detail", "") + "); " + INSTALL_HINT);
            }
            throw new UnavailableException("the torch script reported " + error + ": " + m.getOrDefault("detail", ""));
        }
        return m;
    }

    private Map<String, Object> readReady() {
        Map<String, Object> m = readLine("torch to import and build the model");
        if (!"ready".equals(m.get("event"))) throw new UnavailableException("the torch script did not start as expected: " + m);
        return m;
    }

    private Map<String, Object> readLine(String waitingFor) {
        String line;
        try {
            line = out.readLine();
        } catch (IOException e) {
            line = null;
        }
        try {
            return parseLine(line, waitingFor);
        } catch (UnavailableException e) {
            if (line != null) throw e;
            throw new UnavailableException(e.getMessage() + stderrTail());
        }
    }

    private void send(String command) {
        try {
            in.write(command);
            in.newLine();
            in.flush();
        } catch (IOException e) {
            throw new UnavailableException("the torch script is no longer running (" + e.getMessage() + ")" + stderrTail());
        }
    }

    private String stderrTail() {
        try {
            process.waitFor(2, java.util.concurrent.TimeUnit.SECONDS);
            List<String> lines = Files.readAllLines(stderrLog, StandardCharsets.UTF_8);
            if (lines.isEmpty()) return "";
            return "; its last messages:\n  " + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 8), lines.size()));
        } catch (IOException | InterruptedException e) {
            return "";
        }
    }

    private static Path extractScript() throws IOException {
        Path file = Files.createTempFile("jdlm-", "-" + SCRIPT);
        try (InputStream s = TorchTrainReference.class.getResourceAsStream(SCRIPT)) {
            if (s == null) throw new IOException(SCRIPT + " is missing from the jar");
            Files.copy(s, file, StandardCopyOption.REPLACE_EXISTING);
        }
        return file;
    }

    private static boolean hasAvx512() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("flags")) return line.contains(" avx512f");
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: leave OpenBLAS to its own detection
        }
        return false;
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "…";
    }
}
