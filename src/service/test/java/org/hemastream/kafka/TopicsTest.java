package org.hemastream.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaBrokerExtension.class)
class TopicsTest {

    private static Topics freshTopics(KafkaBroker broker) {
        return new Topics(broker.freshTopic("lab.cbc.results"), broker.freshTopic("lab.cell.captures"),
                broker.freshTopic("hema.cell-results"), broker.freshTopic("hema.blast-alerts"),
                broker.freshTopic("hema.diagnostic-scores"), broker.freshTopic("hema.dead-letters"),
                broker.freshTopic("hema.alert-reviews"));
    }

    @Test
    void ensureTopicsCreatesEveryMissingTopicAndIsIdempotent(KafkaBroker broker) throws Exception {
        Topics topics = freshTopics(broker);
        try (Admin admin = broker.admin()) {
            Topics.Ensured first = topics.ensureTopics(admin, 2, (short) 1);
            Topics.Ensured second = topics.ensureTopics(admin, 2, (short) 1);

            assertThat(first.created()).containsExactlyInAnyOrderElementsOf(topics.all());
            assertThat(first.partitions()).containsOnlyKeys(topics.all()).allSatisfy((name, count) -> assertThat(count).isEqualTo(2));
            assertThat(second.created()).isEmpty();
            assertThat(second.partitions()).isEqualTo(first.partitions());
            assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).containsAll(topics.all());
        }
    }

    @Test
    void ensureTopicsCreatesOnlyTheMissingOnesAndKeepsExistingPartitionCounts(KafkaBroker broker) throws Exception {
        Topics topics = freshTopics(broker);
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic(topics.deadLetters(), 1, (short) 1))).all().get(30, TimeUnit.SECONDS);

            Topics.Ensured ensured = topics.ensureTopics(admin, 3, (short) 1);

            assertThat(ensured.created()).doesNotContain(topics.deadLetters()).hasSize(6);
            assertThat(ensured.partitions()).containsEntry(topics.deadLetters(), 1).containsEntry(topics.cbcResults(), 3);
        }
    }

    @Test
    void inputTopicsWithDifferentPartitionCountsAreRefusedNamingBothTopics(KafkaBroker broker) throws Exception {
        Topics topics = freshTopics(broker);
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(
                    new NewTopic(topics.cbcResults(), 2, (short) 1),
                    new NewTopic(topics.cellCaptures(), 4, (short) 1))).all().get(30, TimeUnit.SECONDS);

            assertThatThrownBy(() -> topics.ensureTopics(admin, 2, (short) 1))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(topics.cbcResults() + " has 2 partitions")
                    .hasMessageContaining(topics.cellCaptures() + " has 4");
        }
    }

    @Test
    void defaultsAreTheTopicsOfTheDesign() {
        assertThat(Topics.defaults().inputs()).containsExactly("lab.cbc.results", "lab.cell.captures");
        assertThat(Topics.defaults().outputs())
                .containsExactly("hema.cell-results", "hema.blast-alerts", "hema.diagnostic-scores", "hema.dead-letters");
    }

    @Test
    void oneNameForTwoRolesIsRefused() {
        assertThatThrownBy(() -> new Topics("a", "a", "b", "c", "d", "e", "f"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'a' is used twice");
    }

    @Test
    void illegalTopicNameIsRefusedNamingTheRole() {
        assertThatThrownBy(() -> new Topics("lab cbc", "b", "c", "d", "e", "f", "g"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cbcResults");
    }

    @Test
    void topicsCreatedForAClusterGetItsReplicationAndMinInsyncReplicas(KafkaBroker broker) throws Exception {
        Topics topics = freshTopics(broker);
        try (Admin admin = broker.admin()) {
            Replication replication = Replication.forCluster(admin, null, 30_000);
            assertThat(replication).as("auto on this test run's one broker").isEqualTo(Replication.of(1));
            topics.ensureTopics(admin, 1, replication);
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topics.blastAlerts());
            ConfigEntry minIsr = admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource)
                    .get("min.insync.replicas");
            assertThat(minIsr.value()).isEqualTo("1");
            assertThat(minIsr.source()).as("set on the topic, not inherited").isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
            assertThatThrownBy(() -> Replication.forCluster(admin, (short) 3, 30_000))
                    .hasMessageContaining("topics.replicationFactor 3");
        }
    }
}
