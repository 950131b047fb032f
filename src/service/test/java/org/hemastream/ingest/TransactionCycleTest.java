package org.hemastream.ingest;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TransactionCycleTest {

    private static final OffsetLedger.Partition CBC0 = new OffsetLedger.Partition("cbc", 0);
    private static final OffsetLedger.Partition CAP0 = new OffsetLedger.Partition("captures", 0);
    private static final OffsetLedger.Partition CAP1 = new OffsetLedger.Partition("captures", 1);

    private final TransactionCycle cycle = new TransactionCycle(new TransactionCycle.Policy(Duration.ofMillis(100), 1000));

    private static TransactionCycle.Output out(String id, int partition) {
        return new TransactionCycle.Output("hema.cell-results", id, id.getBytes(), partition);
    }

    private static TransactionCycle.StateRecord state(String id, int partition) {
        return new TransactionCycle.StateRecord(id, partition, new byte[]{1});
    }

    @Test
    void aUnitIsSealedAtTheIntervalWithEveryOutputAndThePositionPastEachFedRecord() {
        cycle.fed(CBC0, 4, 0);
        cycle.output(out("a", 0), 0);
        cycle.fed(CAP0, 10, 10);
        cycle.fed(CAP0, 11, 20);
        cycle.output(out("b", 0), 20);
        assertThat(cycle.tick(50, true)).isEqualTo(TransactionCycle.Step.NONE);
        assertThat(cycle.tick(100, true)).isEqualTo(TransactionCycle.Step.SEAL);
        TransactionCycle.CommitUnit unit = cycle.seal(List.of(state("S1", 0)), 100);
        assertThat(unit.outputs()).extracting(TransactionCycle.Output::key).containsExactly("a", "b");
        assertThat(unit.offsets()).containsEntry(CBC0, 5L).containsEntry(CAP0, 12L).hasSize(2);
        assertThat(unit.state()).extracting(TransactionCycle.StateRecord::specimenId).containsExactly("S1");
        assertThat(unit.records()).isEqualTo(3);
    }

    @Test
    void whileWorkIsInFlightTheCycleDrainsInputStopsAndTheSealWaitsUntilIdle() {
        cycle.fed(CAP0, 1, 0);
        assertThat(cycle.tick(100, false)).isEqualTo(TransactionCycle.Step.DRAIN);
        assertThat(cycle.admitting()).isFalse();
        assertThatThrownBy(() -> cycle.fed(CAP0, 2, 101)).isInstanceOf(IllegalStateException.class);
        cycle.output(out("late-result", 0), 120); // the classification in flight finishes: same unit
        assertThat(cycle.tick(130, false)).isEqualTo(TransactionCycle.Step.NONE);
        assertThat(cycle.tick(140, true)).isEqualTo(TransactionCycle.Step.SEAL);
        TransactionCycle.CommitUnit unit = cycle.seal(List.of(), 140);
        assertThat(unit.outputs()).extracting(TransactionCycle.Output::key).containsExactly("late-result");
        assertThat(cycle.admitting()).isTrue();
    }

    @Test
    void inputIsAdmittedWhileAUnitCommitsButTheNextUnitWaitsForItsOutcome() {
        cycle.fed(CAP0, 1, 0);
        cycle.tick(100, true);
        TransactionCycle.CommitUnit first = cycle.seal(List.of(), 100);
        cycle.fed(CAP0, 2, 110);
        cycle.output(out("next", 0), 110);
        assertThat(cycle.tick(500, true)).isEqualTo(TransactionCycle.Step.NONE);
        cycle.committed(first.sequence());
        assertThat(cycle.tick(500, true)).isEqualTo(TransactionCycle.Step.SEAL);
        TransactionCycle.CommitUnit second = cycle.seal(List.of(), 500);
        assertThat(second.sequence()).isGreaterThan(first.sequence());
        assertThat(second.offsets()).containsEntry(CAP0, 3L);
        assertThat(second.outputs()).extracting(TransactionCycle.Output::key).containsExactly("next");
    }

    @Test
    void aFailedUnitVoidsEverythingUncommittedUntilTheShellRebuildsAndResets() {
        cycle.fed(CAP0, 1, 0);
        cycle.tick(100, true);
        TransactionCycle.CommitUnit unit = cycle.seal(List.of(), 100);
        cycle.fed(CAP0, 2, 110);
        cycle.failed(unit.sequence());
        assertThat(cycle.broken()).isTrue();
        assertThat(cycle.admitting()).isFalse();
        assertThat(cycle.tick(1000, true)).isEqualTo(TransactionCycle.Step.NONE);
        int epoch = cycle.reset();
        assertThat(epoch).isEqualTo(1);
        assertThat(cycle.admitting()).isTrue();
        assertThat(cycle.hasContent()).isFalse();
        cycle.fed(CAP0, 1, 1200); // re-read from the committed position
        cycle.tick(1300, true);
        TransactionCycle.CommitUnit again = cycle.seal(List.of(), 1300);
        assertThat(again.epoch()).isEqualTo(1);
        assertThat(again.offsets()).containsEntry(CAP0, 2L);
    }

    @Test
    void revokingAPartitionDropsItsUncommittedOutputsAndPositionsOnly() {
        cycle.fed(CAP0, 1, 0);
        cycle.fed(CAP1, 7, 0);
        cycle.output(out("p0", 0), 0);
        cycle.output(out("p1", 1), 0);
        cycle.revoked(p -> p == 1);
        cycle.tick(100, true);
        TransactionCycle.CommitUnit unit = cycle.seal(List.of(), 100);
        assertThat(unit.outputs()).extracting(TransactionCycle.Output::key).containsExactly("p0");
        assertThat(unit.offsets()).containsOnlyKeys(CAP0);
    }

    @Test
    void aUnitIsSealedEarlyAfterMaxRecordsAndNothingIsCommittedWithoutContent() {
        TransactionCycle small = new TransactionCycle(new TransactionCycle.Policy(Duration.ofHours(1), 2));
        assertThat(small.tick(0, true)).isEqualTo(TransactionCycle.Step.NONE);
        small.fed(CAP0, 1, 0);
        assertThat(small.tick(1, true)).isEqualTo(TransactionCycle.Step.NONE);
        small.fed(CAP0, 2, 1);
        assertThat(small.tick(2, true)).isEqualTo(TransactionCycle.Step.SEAL);
    }

    @Test
    void theOldestUncommittedInputAgeCoversTheUnitBeingCommitted() {
        cycle.fed(CAP0, 1, 1000);
        assertThat(cycle.oldestUncommittedMillis(1500)).isEqualTo(500);
        cycle.tick(1100, true);
        TransactionCycle.CommitUnit unit = cycle.seal(List.of(), 1100);
        cycle.fed(CAP0, 2, 1200);
        assertThat(cycle.oldestUncommittedMillis(3000)).isEqualTo(2000); // the unit still committing is older
        cycle.committed(unit.sequence());
        assertThat(cycle.oldestUncommittedMillis(3000)).isEqualTo(1800);
    }

    @Test
    void aStateChangeWithoutInputOrOutputStillGetsCommitted() {
        cycle.markDirty(0);
        assertThat(cycle.tick(100, true)).isEqualTo(TransactionCycle.Step.SEAL);
        assertThat(cycle.seal(List.of(state("S9", 1)), 100).state()).hasSize(1);
    }
}
