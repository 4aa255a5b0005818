package jdlm.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ThreadPoolTest {
    /** A private four-thread pool, so the tests exercise handoff even on a one-core machine. */
    private static final ThreadPool POOL = new ThreadPool(4, false);

    @Test
    void everyIndexRunsExactlyOnce() {
        for (int count : new int[] {1, 2, 3, 7, 64, 1000}) {
            for (int round = 0; round < 50; round++) {
                AtomicIntegerArray hits = new AtomicIntegerArray(count);
                POOL.parallelFor(count, hits::incrementAndGet);
                for (int i = 0; i < count; i++) assertEquals(1, hits.get(i), "count=" + count + " index " + i);
            }
        }
    }

    @Test
    void nestedParallelForRunsInlineWithoutDeadlock() {
        AtomicInteger total = new AtomicInteger();
        assertTimeoutPreemptively(Duration.ofSeconds(20), () ->
                POOL.parallelFor(8, i -> POOL.parallelFor(10, j -> total.incrementAndGet())));
        assertEquals(80, total.get());
    }

    @Test
    void exceptionInATaskReachesTheCaller() {
        IllegalStateException boom = new IllegalStateException("boom");
        IllegalStateException thrown = assertThrows(IllegalStateException.class,
                () -> POOL.parallelFor(100, i -> { if (i == 57) throw boom; }));
        assertSame(boom, thrown);
        // and the pool still works afterwards
        AtomicInteger n = new AtomicInteger();
        POOL.parallelFor(100, i -> n.incrementAndGet());
        assertEquals(100, n.get());
    }

    @Test
    void concurrentCallersAllComplete() throws InterruptedException {
        AtomicInteger total = new AtomicInteger();
        Thread[] callers = new Thread[3];
        for (int t = 0; t < callers.length; t++) {
            callers[t] = new Thread(() -> {
                for (int r = 0; r < 200; r++) POOL.parallelFor(16, i -> total.incrementAndGet());
            });
            callers[t].start();
        }
        for (Thread t : callers) t.join(20_000);
        assertEquals(3 * 200 * 16, total.get());
    }

    @Test
    void sharedPoolIsSizedToTheCoresOrTheProperty() {
        int expected = Integer.getInteger("jdlm.threads", Runtime.getRuntime().availableProcessors());
        assertEquals(Math.max(1, expected), ThreadPool.shared().threads());
    }
}
