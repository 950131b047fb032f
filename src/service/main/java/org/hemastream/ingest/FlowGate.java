package org.hemastream.ingest;

/**
 * Backpressure with hysteresis, as pure state: the assigned partitions pause when the load (cells in
 * flight + input waiting) reaches {@code highMark} and resume when it falls to {@code lowMark}. The shell
 * carries out the answer on the partitions it holds, and re-applies a pause to partitions assigned later.
 */
final class FlowGate {

    /** What to do with the assigned partitions. */
    enum Change { NONE, PAUSE, RESUME }

    private final int highMark;
    private final int lowMark;
    private boolean paused;
    private int pauses;
    private int resumes;

    FlowGate(int highMark, int lowMark) {
        if (lowMark >= highMark) {
            throw new IllegalArgumentException("lowMark " + lowMark + " must be below highMark " + highMark);
        }
        this.highMark = highMark;
        this.lowMark = lowMark;
    }

    Change load(int load) {
        if (!paused && load >= highMark) {
            paused = true;
            pauses++;
            return Change.PAUSE;
        }
        if (paused && load <= lowMark) {
            paused = false;
            resumes++;
            return Change.RESUME;
        }
        return Change.NONE;
    }

    boolean paused() {
        return paused;
    }

    int pauses() {
        return pauses;
    }

    int resumes() {
        return resumes;
    }
}
