package org.hemastream.kafka;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReplicationTest {

    @Test
    void autoTakesThreeReplicasWhereTheClusterHasThemAndNeverMoreThanItHas() {
        assertThat(Replication.forBrokers(null, 1)).isEqualTo(new Replication((short) 1, 1));
        assertThat(Replication.forBrokers(null, 2)).isEqualTo(new Replication((short) 2, 2));
        assertThat(Replication.forBrokers(null, 3)).isEqualTo(new Replication((short) 3, 2));
        assertThat(Replication.forBrokers(null, 9)).isEqualTo(new Replication((short) 3, 2));
        assertThat(Replication.forBrokers(null, 9).topicConfigs()).containsEntry("min.insync.replicas", "2");
    }

    @Test
    void aConfiguredFactorIsKeptWhenTheClusterCanHonourItAndRefusedNamingTheKeyWhenNot() {
        assertThat(Replication.forBrokers((short) 2, 5)).isEqualTo(new Replication((short) 2, 2));
        assertThat(Replication.forBrokers((short) 1, 5)).isEqualTo(new Replication((short) 1, 1));
        assertThatThrownBy(() -> Replication.forBrokers((short) 3, 1))
                .hasMessageContaining("topics.replicationFactor 3").hasMessageContaining("1 broker");
    }
}
