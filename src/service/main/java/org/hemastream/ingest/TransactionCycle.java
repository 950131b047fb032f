package org.hemastream.ingest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * The commit protocol, as pure state: which outputs, which state records and which input positions go
 * into the next transaction, and when it may be sealed. No Vert.x or Kafka types; not thread-safe (the
 * ingest verticle's event loop drives it).
 *
 * <p>The protocol (Kafka Streams' {@code exactly_once_v2} shape, with one difference: classification
 * is asynchronous, so a commit needs a barrier):
 * <ol>
 *   <li><b>open</b> — input records are fed to the core; every output they cause is {@linkplain #output
 *       added} to the current unit and the position of each partition advances past each fed record.</li>
 *   <li>when the commit interval has passed (or {@code maxRecords} were fed) it asks to
 *       <b>drain</b>: {@link #admitting()} turns false, the shell stops feeding input (records wait in its
 *       queue) and finishes the work in flight (cells being classified, scores being computed).</li>
 *   <li>once the shell reports it idle, the unit is <b>sealed</b>: outputs + the state of every specimen
 *       touched + the position of every partition fed — everything before each position is reflected in
 *       the unit or an earlier one, nothing after it is. Feeding resumes at once; later outputs go into the
 *       next unit.</li>
 *   <li>the shell commits the unit as one Kafka transaction (outputs, state changelog,
 *       {@code sendOffsetsToTransaction}) and reports {@link #committed} or {@link #failed}. Only one unit
 *       is committing at a time. After a failure the shell rebuilds from the last committed unit (state
 *       restored from the changelog, input re-read from the committed positions) and calls {@link #reset}.</li>
 * </ol>
 * Because a sealed unit never contains half of a record's effects, a restart from the committed positions
 * and the restored state re-derives nothing that was already published and loses nothing that was not.
 */
public final class TransactionCycle {

    /**
     * One output record.
     *
     * @param partition the input partition number it derives from (dropped if that partition is revoked)
     */
    public record Output(String topic, String key, byte[] value, int partition) {
    }

    /** One changelog record: the state of a specimen at the seal, on the changelog partition = input partition. */
    public record StateRecord(String specimenId, int partition, byte[] value) {
    }

    /**
     * A sealed unit: commit all of it, or none.
     *
     * @param offsets  input partition → the next offset to read (the consumer position to commit)
     * @param epoch    the {@link #reset} epoch it was built in: a unit from before a reset is void
     */
    public record CommitUnit(long sequence, int epoch, List<Output> outputs, List<StateRecord> state,
                             Map<OffsetLedger.Partition, Long> offsets, int records) {
        public boolean isEmpty() {
            return outputs.isEmpty() && state.isEmpty() && offsets.isEmpty();
        }
    }

    /**
     * @param interval   how long a unit stays open at most once it has content
     * @param maxRecords fed records after which the unit is sealed early
     */
    public record Policy(Duration interval, int maxRecords) {
    }

    /** What the shell should do next. */
    public enum Step {
        /** keep going */
        NONE,
        /** stop feeding input and flush work in flight (batches leave now, not at their delay) */
        DRAIN,
        /** idle: call {@link #seal} and commit the unit */
        SEAL
    }

    private enum Phase { OPEN, DRAINING }

    private final Policy policy;
    private Phase phase = Phase.OPEN;
    private List<Output> outputs = new ArrayList<>();
    private Map<OffsetLedger.Partition, Long> positions = new HashMap<>();
    private boolean dirty;
    private int records;
    private long openedAt = -1;
    private long sequence;
    private int epoch;
    /** The unit being committed, or null. */
    private CommitUnit committing;
    private long committingSince = -1;
    private long committingOldestInput = -1;
    private long oldestInput = -1;
    /** A unit failed: nothing is fed or sealed until {@link #reset}. */
    private boolean broken;

    public TransactionCycle(Policy policy) {
        this.policy = policy;
    }

    /** Whether input may be fed to the core now (false while draining for a seal). */
    public boolean admitting() {
        return phase == Phase.OPEN && !broken;
    }

    /** A record was fed to the core (its synchronous effects already added). */
    public void fed(OffsetLedger.Partition p, long offset, long nowMillis) {
        if (!admitting()) {
            throw new IllegalStateException("fed while draining or broken");
        }
        positions.merge(p, offset + 1, Math::max);
        records++;
        if (oldestInput < 0) {
            oldestInput = nowMillis;
        }
        opened(nowMillis);
    }

    /** An output to publish in the current unit. */
    public void output(Output o, long nowMillis) {
        outputs.add(o);
        opened(nowMillis);
    }

    /** The core's state changed without an output or a record (e.g. a specimen expired silently). */
    public void markDirty(long nowMillis) {
        dirty = true;
        opened(nowMillis);
    }

    /**
     * Advances the protocol.
     *
     * @param idle whether no work is in flight (no cell queued or being classified, no score being computed)
     */
    public Step tick(long nowMillis, boolean idle) {
        if (broken || committing != null || openedAt < 0) {
            return Step.NONE;
        }
        if (phase == Phase.OPEN) {
            if (nowMillis - openedAt >= policy.interval().toMillis() || records >= policy.maxRecords()) {
                phase = Phase.DRAINING;
                return idle ? Step.SEAL : Step.DRAIN;
            }
            return Step.NONE;
        }
        return idle ? Step.SEAL : Step.NONE;
    }

    /**
     * Seals the current unit with the state of the specimens it touched; input is admitted again at once.
     *
     * @throws IllegalStateException unless {@link #tick} just answered {@link Step#SEAL}
     */
    public CommitUnit seal(List<StateRecord> state, long nowMillis) {
        if (phase != Phase.DRAINING || committing != null) {
            throw new IllegalStateException("seal without a drain");
        }
        CommitUnit unit = new CommitUnit(++sequence, epoch, List.copyOf(outputs), List.copyOf(state),
                Map.copyOf(positions), records);
        committing = unit;
        committingSince = nowMillis;
        committingOldestInput = oldestInput;
        clearOpenUnit();
        return unit;
    }

    /** Starts an empty open unit: no outputs, positions or records yet. */
    private void clearOpenUnit() {
        outputs = new ArrayList<>();
        positions = new HashMap<>();
        records = 0;
        dirty = false;
        openedAt = -1;
        oldestInput = -1;
        phase = Phase.OPEN;
    }

    /** The unit with this sequence is committed. */
    public void committed(long unitSequence) {
        if (committing != null && committing.sequence() == unitSequence) {
            committing = null;
            committingSince = -1;
            committingOldestInput = -1;
        }
    }

    /**
     * The unit failed (aborted, fenced, or not answered): everything since the last committed unit is void.
     * The shell must rebuild from the committed positions and restored state, then call {@link #reset}.
     */
    public void failed(long unitSequence) {
        if (committing != null && committing.sequence() == unitSequence) {
            broken = true;
        }
    }

    /** Whether a unit failed and the shell must rebuild before going on. */
    public boolean broken() {
        return broken;
    }

    /** Drops everything not committed and starts a new epoch (after a failed unit, the shell rebuilt its state). */
    public int reset() {
        broken = false;
        clearOpenUnit();
        committing = null;
        committingSince = -1;
        committingOldestInput = -1;
        return ++epoch;
    }

    /** Drops the uncommitted outputs and positions of revoked input partitions (the new owner redoes them). */
    public void revoked(IntPredicate partition) {
        outputs.removeIf(o -> partition.test(o.partition()));
        positions.keySet().removeIf(p -> partition.test(p.partition()));
    }

    /** Seal at the next tick whatever the interval (stopping: commit what is done). */
    public void sealSoon() {
        if (openedAt >= 0) {
            openedAt = Long.MIN_VALUE / 2;
        }
    }

    /** Whether the open unit has any content (input fed, outputs, or changed state). */
    public boolean hasContent() {
        return openedAt != -1;
    }

    public int epoch() {
        return epoch;
    }

    /** The unit being committed, or null. */
    public CommitUnit committing() {
        return committing;
    }

    /** How long the oldest fed but uncommitted input has waited (ms), 0 when none. */
    public long oldestUncommittedMillis(long nowMillis) {
        long oldest = committingOldestInput >= 0 ? committingOldestInput : oldestInput;
        return oldest < 0 ? 0 : nowMillis - oldest;
    }

    /** How long the unit being committed has been committing (ms), 0 when none. */
    public long committingMillis(long nowMillis) {
        return committingSince < 0 ? 0 : nowMillis - committingSince;
    }

    /** Outputs waiting in the open unit. */
    public int pendingOutputs() {
        return outputs.size();
    }

    private void opened(long nowMillis) {
        if (openedAt < 0) {
            openedAt = nowMillis;
        }
    }

    boolean isDirty() {
        return dirty;
    }
}
