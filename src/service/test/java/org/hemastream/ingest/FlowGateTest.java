package org.hemastream.ingest;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class FlowGateTest {

    @Test
    void partitionsPauseAtTheHighMarkAndResumeOnlyAtTheLowMark() {
        FlowGate gate = new FlowGate(8, 2);
        assertThat(gate.load(7)).isEqualTo(FlowGate.Change.NONE);
        assertThat(gate.load(8)).isEqualTo(FlowGate.Change.PAUSE);
        assertThat(gate.load(9)).isEqualTo(FlowGate.Change.NONE);
        assertThat(gate.load(3)).isEqualTo(FlowGate.Change.NONE);
        assertThat(gate.paused()).isTrue();
        assertThat(gate.load(2)).isEqualTo(FlowGate.Change.RESUME);
        assertThat(gate.load(5)).isEqualTo(FlowGate.Change.NONE);
        assertThat(gate.pauses()).isEqualTo(1);
        assertThat(gate.resumes()).isEqualTo(1);
    }
}
