package jdlm.tensor;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * The one shared pool every kernel runs its parallel work on, sized to the machine's cores.
 *
 * <p>{@code threads() - 1} daemon workers plus the calling thread take indices from a shared
 * counter. Workers are pinned each to its own CPU (Linux {@code sched_setaffinity} via FFM) unless
 * {@code -Djdlm.pin=false} or the call fails: these VMs otherwise pack busy threads onto one vCPU.
 * For the same reason the caller of {@link #parallelFor} is pinned to the first CPU for the
 * duration of the region (two system calls, about a microsecond each).
 * Idle workers spin briefly, then yield, then park: AR decode issues thousands of tiny regions a
 * second and a spinning handoff is about twice as fast as park/unpark there, while a pool left idle
 * stops burning its cores after {@link #SPIN_NANOS}.
 *
 * <p>Nested calls (from inside a task) and calls that find the pool busy with another caller run
 * inline on the calling thread, so nothing can deadlock.
 */
public final class ThreadPool {
    /** How long an idle worker (or a waiting caller) busy-waits before it yields, then parks. */
    private static final long SPIN_NANOS = 100_000;
    private static final long YIELD_NANOS = 2_000_000;

    private static final ThreadPool SHARED = new ThreadPool(
            Integer.getInteger("jdlm.threads", Runtime.getRuntime().availableProcessors()),
            !"false".equalsIgnoreCase(System.getProperty("jdlm.pin", "true")));

    public static ThreadPool shared() {
        return SHARED;
    }

    private final int threads;
    private final Worker[] workers;
    private final boolean pinned;
    /** One caller at a time drives the workers; others run inline. */
    private final ReentrantLock driver = new ReentrantLock();
    /** The job the workers should run; a new object per region, so a late worker can never mix two. */
    private volatile Job current;

    /** A pool of {@code threads} threads (the caller included), pinned where {@code pin} and possible. */
    public ThreadPool(int threads, boolean pin) {
        this.threads = Math.max(1, threads);
        this.workers = new Worker[this.threads - 1];
        AtomicInteger pinnedCount = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(workers.length);
        for (int i = 0; i < workers.length; i++) {
            // worker i takes the (i+1)-th allowed CPU, leaving the first to the caller
            workers[i] = new Worker(this, i + 1, pin, pinnedCount, started);
            workers[i].start();
        }
        try {
            started.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        this.pinned = pin && workers.length > 0 && pinnedCount.get() == workers.length;
    }

    /** Number of threads that run tasks (the caller included). */
    public int threads() {
        return threads;
    }

    /** Whether every worker is pinned to its own CPU. */
    public boolean pinned() {
        return pinned;
    }

    /** Runs {@code task.accept(i)} for i in [0, count) across the pool and returns when all are done. */
    public void parallelFor(int count, IntConsumer task) {
        if (count <= 0) return;
        if (count == 1 || workers.length == 0 || Thread.currentThread() instanceof Worker
                || driver.isHeldByCurrentThread() || !driver.tryLock()) {
            for (int i = 0; i < count; i++) task.accept(i);
            return;
        }
        try {
            // The caller computes too: left unpinned, the VM may stack it on a worker's CPU. It is
            // pinned for the region only, because a thread's affinity leaks: threads it starts
            // inherit it, and availableProcessors() reports it.
            boolean pinCaller = pinned && CpuAffinity.pinCurrentThread(0);
            Job job = new Job(task, count, Thread.currentThread());
            current = job;
            for (Worker w : workers) {
                if (w.sleeping) LockSupport.unpark(w);
            }
            job.work();
            job.awaitDone();
            current = null;
            if (pinCaller) CpuAffinity.unpinCurrentThread();
            Throwable t = job.failure;
            if (t instanceof RuntimeException re) throw re;
            if (t instanceof Error e) throw e;
            if (t != null) throw new RuntimeException(t);
        } finally {
            driver.unlock();
        }
    }

    /** One parallel region: the task, the next index to hand out and the indices still running. */
    private static final class Job {
        private static final VarHandle NEXT, PENDING, FAILURE;

        static {
            try {
                MethodHandles.Lookup l = MethodHandles.lookup();
                NEXT = l.findVarHandle(Job.class, "next", int.class);
                PENDING = l.findVarHandle(Job.class, "pending", int.class);
                FAILURE = l.findVarHandle(Job.class, "failure", Throwable.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final IntConsumer task;
        final int count;
        final Thread caller;
        volatile int next;
        volatile int pending;
        volatile Throwable failure;
        volatile boolean callerSleeping;

        Job(IntConsumer task, int count, Thread caller) {
            this.task = task;
            this.count = count;
            this.caller = caller;
            this.pending = count;
        }

        void work() {
            int i;
            while ((i = (int) NEXT.getAndAdd(this, 1)) < count) {
                if (failure == null) {
                    try {
                        task.accept(i);
                    } catch (Throwable t) {
                        FAILURE.compareAndSet(this, (Throwable) null, t);
                    }
                }
                if ((int) PENDING.getAndAdd(this, -1) == 1 && callerSleeping) {
                    LockSupport.unpark(caller);
                }
            }
        }

        void awaitDone() {
            long start = System.nanoTime();
            while (pending != 0) {
                long waited = System.nanoTime() - start;
                if (waited < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else if (waited < YIELD_NANOS) {
                    Thread.yield();
                } else {
                    callerSleeping = true;
                    if (pending != 0) LockSupport.parkNanos(this, 1_000_000);
                    callerSleeping = false;
                }
            }
        }
    }

    private static final class Worker extends Thread {
        private final ThreadPool pool;
        private final int slot;
        private final boolean pin;
        private final AtomicInteger pinnedCount;
        private final CountDownLatch started;
        volatile boolean sleeping;

        Worker(ThreadPool pool, int slot, boolean pin, AtomicInteger pinnedCount, CountDownLatch started) {
            super("jdlm-pool-" + slot);
            setDaemon(true);
            this.pool = pool;
            this.slot = slot;
            this.pin = pin;
            this.pinnedCount = pinnedCount;
            this.started = started;
        }

        @Override
        public void run() {
            if (pin && CpuAffinity.pinCurrentThread(slot)) pinnedCount.incrementAndGet();
            started.countDown();
            Job seen = null;
            while (true) {
                Job job = pool.current;
                if (job != null && job != seen) {
                    seen = job;
                    job.work();
                    continue;
                }
                idle(seen);
            }
        }

        /** Waits until the pool publishes a job other than {@code seen}: spin, then yield, then park. */
        private void idle(Job seen) {
            long start = System.nanoTime();
            while (true) {
                Job job = pool.current;
                if (job != null && job != seen) return;
                long waited = System.nanoTime() - start;
                if (waited < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else if (waited < YIELD_NANOS) {
                    Thread.yield();
                } else {
                    sleeping = true;
                    job = pool.current;
                    if (job == null || job == seen) LockSupport.park(this);
                    sleeping = false;
                }
            }
        }
    }
}
