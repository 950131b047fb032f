package org.hemastream.ingest;

import org.hemastream.events.RecordOrigin;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class OffsetLedgerTest {

    private final OffsetLedger ledger = new OffsetLedger();
    private final OffsetLedger.Partition p0 = new OffsetLedger.Partition("t", 0);

    private static RecordOrigin at(long offset) {
        return new RecordOrigin("t", 0, offset, -1, "k");
    }

    @Test
    void theCommitNeverPassesTheFirstRecordStillHeld() {
        for (long o = 0; o < 5; o++) {
            ledger.hold(at(o));
        }
        ledger.release(at(0));
        ledger.release(at(2));
        assertThat(ledger.committable(p0)).hasValue(1);
        ledger.release(at(1));
        assertThat(ledger.committable(p0)).hasValue(3);
        ledger.release(at(3));
        ledger.release(at(4));
        assertThat(ledger.committable(p0)).hasValue(5);
    }

    @Test
    void nothingNewToCommitAfterMarkingIt() {
        ledger.hold(at(7));
        ledger.release(at(7));
        assertThat(ledger.committable(p0)).hasValue(8);
        ledger.markCommitted(p0, 8);
        assertThat(ledger.committable(p0)).isEmpty();
    }

    @Test
    void aRecordHeldTwiceIsCommittableOnlyAfterBothReleases() {
        ledger.hold(at(0));
        ledger.hold(at(0));
        ledger.release(at(0));
        assertThat(ledger.committable(p0)).hasValue(0);
        ledger.release(at(0));
        assertThat(ledger.committable(p0)).hasValue(1);
    }

    @Test
    void aForgottenPartitionHasNothingToCommit() {
        ledger.hold(at(0));
        ledger.forget(p0);
        ledger.release(at(0));
        assertThat(ledger.committable(p0)).isEmpty();
    }
}
