package jdlm.tensor;

import java.util.function.IntConsumer;

/**
 * The one shared pool every kernel runs its parallel work on, sized to the machine's cores.
 *
 * <p>PLACEHOLDER: runs tasks on the calling thread; replaced by the pinned, spinning pool.
 */
public final class ThreadPool {
    private static final ThreadPool SHARED = new ThreadPool();

    public static ThreadPool shared() {
        return SHARED;
    }

    /** Number of threads that run tasks (the caller included). */
    public int threads() {
        return 1;
    }

    /** Runs {@code task.accept(i)} for i in [0, count) across the pool and returns when all are done. */
    public void parallelFor(int count, IntConsumer task) {
        for (int i = 0; i < count; i++) task.accept(i);
    }
}
