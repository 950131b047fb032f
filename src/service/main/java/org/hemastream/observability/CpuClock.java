package org.hemastream.observability;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * CPU time, in nanoseconds: the calling thread's and the whole process's. On a machine whose cores are
 * shared, wall time measures the neighbours as much as the code; CPU time measures the code. A thread's
 * CPU time includes native work on it (ImageIO's libjpeg, ONNX Runtime with one intra-op thread).
 */
public final class CpuClock {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private static final boolean THREAD_CPU = THREADS.isCurrentThreadCpuTimeSupported();

    private CpuClock() {
    }

    /** The calling thread's CPU time (user + system), or 0 on a JVM that cannot measure it. */
    public static long thread() {
        return THREAD_CPU ? THREADS.getCurrentThreadCpuTime() : 0;
    }

    /** The process's CPU time (every thread, JIT and GC included), or -1 when unknown. */
    public static long process() {
        return OS.getProcessCpuTime();
    }
}
