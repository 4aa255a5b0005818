package jdlm.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;

/**
 * Pins the calling thread to one CPU with Linux {@code sched_setaffinity(2)}, reached through the
 * FFM API (no JNI). Why: these VMs pack busy unpinned threads onto one vCPU (DESIGN §7).
 * Everything here fails soft: where the call is missing (non-Linux) or refused, {@link #available()}
 * is false and {@link #pinCurrentThread} returns false.
 */
final class CpuAffinity {
    private CpuAffinity() {}

    /** cpu_set_t as glibc defines it: 1024 bits. */
    private static final int MASK_BYTES = 128;

    private static final MethodHandle SET;
    private static final MethodHandle GET;
    /** CPUs this process may run on, ascending; empty when unknown. */
    private static final int[] ALLOWED;

    static {
        MethodHandle set = null, get = null;
        int[] allowed = new int[0];
        try {
            if (System.getProperty("os.name", "").toLowerCase().contains("linux")) {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                // int sched_setaffinity(pid_t pid, size_t cpusetsize, const cpu_set_t *mask)
                FunctionDescriptor fd = FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS);
                set = libc.find("sched_setaffinity").map(s -> linker.downcallHandle(s, fd)).orElse(null);
                get = libc.find("sched_getaffinity").map(s -> linker.downcallHandle(s, fd)).orElse(null);
                if (get != null) allowed = readAllowed(get);
            }
        } catch (Throwable t) { // no native access, unsupported platform: run unpinned
            set = null;
            get = null;
            allowed = new int[0];
        }
        SET = set;
        GET = get;
        ALLOWED = allowed;
    }

    private static int[] readAllowed(MethodHandle get) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(MASK_BYTES, 8);
            int rc = (int) get.invokeExact(0, (long) MASK_BYTES, mask);
            if (rc != 0) return new int[0];
            int[] cpus = new int[MASK_BYTES * 8];
            int n = 0;
            for (int cpu = 0; cpu < MASK_BYTES * 8; cpu++) {
                long word = mask.get(ValueLayout.JAVA_LONG, (cpu >>> 6) * 8L);
                if ((word & (1L << (cpu & 63))) != 0) cpus[n++] = cpu;
            }
            return Arrays.copyOf(cpus, n);
        }
    }

    /** Whether pinning can work here: Linux, the calls found, and the allowed CPU set known. */
    static boolean available() {
        return SET != null && ALLOWED.length > 0;
    }

    /** The CPUs this process may run on (as read at startup). */
    static int[] allowedCpus() {
        return ALLOWED.clone();
    }

    /** Lets the calling thread run on every CPU the process was allowed at startup again. */
    static boolean unpinCurrentThread() {
        if (!available()) return false;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(MASK_BYTES, 8);
            for (int cpu : ALLOWED) {
                long at = (cpu >>> 6) * 8L;
                mask.set(ValueLayout.JAVA_LONG, at, mask.get(ValueLayout.JAVA_LONG, at) | (1L << (cpu & 63)));
            }
            return (int) SET.invokeExact(0, (long) MASK_BYTES, mask) == 0;
        } catch (Throwable t) {
            return false;
        }
    }

    /** Pins the calling thread to the {@code slot}-th allowed CPU (modulo their count); false if that failed. */
    static boolean pinCurrentThread(int slot) {
        if (!available()) return false;
        int cpu = ALLOWED[Math.floorMod(slot, ALLOWED.length)];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(MASK_BYTES, 8);
            mask.set(ValueLayout.JAVA_LONG, (cpu >>> 6) * 8L, 1L << (cpu & 63));
            return (int) SET.invokeExact(0, (long) MASK_BYTES, mask) == 0;
        } catch (Throwable t) {
            return false;
        }
    }
}
