package jdlm.app.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class TorchTrainReferenceTest {

    @Test
    void readyLineIsParsedIntoItsFields() {
        Map<String, Object> m = TorchTrainReference.parseLine(
                "{\"event\": \"ready\", \"torch_version\": \"1.13.1\", \"threads\": 2,"
                        + " \"blas_libraries\": [\"/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3\"]}\n", "ready");
        assertEquals("ready", m.get("event"));
        assertEquals("1.13.1", m.get("torch_version"));
        assertEquals(2L, m.get("threads"));
        assertEquals(List.of("/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3"), m.get("blas_libraries"));
    }

    @Test
    void missingTorchBecomesTheInstallHintNotAStackTrace() {
        var e = assertThrows(TorchTrainReference.UnavailableException.class, () -> TorchTrainReference.parseLine(
                "{\"error\": \"no_torch\", \"python\": \"/usr/bin/python3\", \"detail\": \"ModuleNotFoundError\"}", "ready"));
        assertTrue(e.getMessage().contains("/usr/bin/python3 cannot import torch"), e.getMessage());
        assertTrue(e.getMessage().contains("apt-get install python3-torch libopenblas0-pthread"), e.getMessage());
    }

    @Test
    void missingPythonNamesTheInterpreterAndTheInstallHint() {
        var e = assertThrows(TorchTrainReference.UnavailableException.class, () -> TorchTrainReference.start(
                "/nonexistent/jdlm-test/python3", new TorchTrainReference.Shape(1, 8, 2, 16, 5, 4, 1), 1));
        assertTrue(e.getMessage().contains("cannot run '/nonexistent/jdlm-test/python3'"), e.getMessage());
        assertTrue(e.getMessage().contains("apt-get install python3-torch"), e.getMessage());
    }

    @Test
    void nonJsonOutputAndEndOfStreamAreReportedWithWhatWasAwaited() {
        var garbage = assertThrows(TorchTrainReference.UnavailableException.class,
                () -> TorchTrainReference.parseLine("Segmentation fault", "a round of 4 steps"));
        assertTrue(garbage.getMessage().contains("Segmentation fault"), garbage.getMessage());
        var ended = assertThrows(TorchTrainReference.UnavailableException.class,
                () -> TorchTrainReference.parseLine(null, "a round of 4 steps"));
        assertTrue(ended.getMessage().contains("ended while jdlm waited for a round of 4 steps"), ended.getMessage());
    }

    @Test
    void coretypeIsSetOnlyForAvx512AndThreadsAlways() {
        Map<String, String> avx512 = TorchTrainReference.environment(2, true);
        assertEquals("SkylakeX", avx512.get("OPENBLAS_CORETYPE"));
        assertEquals("2", avx512.get("OMP_NUM_THREADS"));
        assertEquals("2", avx512.get("OPENBLAS_NUM_THREADS"));
        assertEquals("PASSIVE", avx512.get("OMP_WAIT_POLICY"));
        assertFalse(TorchTrainReference.environment(2, false).containsKey("OPENBLAS_CORETYPE"));
    }

    @Test
    void theScriptIsBundledNextToTheClass() {
        assertTrue(TorchTrainReference.class.getResource("torch_train_bench.py") != null);
    }
}
