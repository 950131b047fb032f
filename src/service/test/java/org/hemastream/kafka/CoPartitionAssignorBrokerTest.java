package org.hemastream.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The assignor inside real consumers on the real broker: classic group protocol, cooperative
 * rebalancing, two co-partitioned topics.
 */
@ExtendWith(KafkaBrokerExtension.class)
class CoPartitionAssignorBrokerTest {

    private static final int PARTITIONS = 6;

    /** A consumer polling on its own thread, recording what it is given and what it loses. */
    private static final class PollingMember implements AutoCloseable {
        final String name;
        final AtomicReference<Set<TopicPartition>> assignment = new AtomicReference<>(Set.of());
        final List<TopicPartition> revoked = new CopyOnWriteArrayList<>();
        final AtomicBoolean running = new AtomicBoolean(true);
        final Thread thread;

        PollingMember(String name, String bootstrap, String group, List<String> topics) {
            this.name = name;
            this.thread = new Thread(() -> {
                try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                        ConsumerConfig.GROUP_ID_CONFIG, group,
                        ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic",
                        ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CoPartitionAssignor.class.getName(),
                        ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, name,
                        ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000,
                        ConsumerConfig.CLIENT_ID_CONFIG, name), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                    consumer.subscribe(topics, new ConsumerRebalanceListener() {
                        @Override
                        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                            revoked.addAll(partitions);
                        }

                        @Override
                        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                        }
                    });
                    while (running.get()) {
                        consumer.poll(Duration.ofMillis(100));
                        assignment.set(Set.copyOf(consumer.assignment()));
                    }
                }
            }, "copartition-" + name);
            thread.start();
        }

        Set<Integer> indexes() {
            return assignment.get().stream().map(TopicPartition::partition).collect(Collectors.toCollection(TreeSet::new));
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(30_000);
        }
    }

    @Test
    void cooperativeMembersKeepPartitionIOfBothTopicsTogetherAndAJoinRevokesOnlyWhatMoves(KafkaBroker broker)
            throws Exception {
        String cbc = broker.createTopic("cbc", PARTITIONS);
        String captures = broker.createTopic("captures", PARTITIONS);
        String group = broker.freshTopic("copartition-group");
        List<String> topics = List.of(cbc, captures);

        try (PollingMember a = new PollingMember("hemastream-a", broker.bootstrapServers(), group, topics);
             PollingMember b = new PollingMember("hemastream-b", broker.bootstrapServers(), group, topics)) {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(a.assignment.get()).hasSize(6);
                assertThat(b.assignment.get()).hasSize(6);
            });
            assertCoPartitioned(a.assignment.get(), cbc, captures);
            assertCoPartitioned(b.assignment.get(), cbc, captures);
            assertThat(a.indexes()).doesNotContainAnyElementsOf(b.indexes());
            Set<TopicPartition> aBefore = a.assignment.get();
            Set<TopicPartition> bBefore = b.assignment.get();
            a.revoked.clear();
            b.revoked.clear();

            try (PollingMember c = new PollingMember("hemastream-c", broker.bootstrapServers(), group, topics)) {
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    assertThat(a.assignment.get()).hasSize(4);
                    assertThat(b.assignment.get()).hasSize(4);
                    assertThat(c.assignment.get()).hasSize(4);
                });
                for (PollingMember m : List.of(a, b, c)) {
                    assertCoPartitioned(m.assignment.get(), cbc, captures);
                }
                // the two old members kept a subset of what they had and lost exactly what moved to c
                assertThat(aBefore).containsAll(a.assignment.get());
                assertThat(bBefore).containsAll(b.assignment.get());
                List<TopicPartition> expectedRevoked = new ArrayList<>(aBefore);
                expectedRevoked.removeAll(a.assignment.get());
                assertThat(a.revoked).containsExactlyInAnyOrderElementsOf(expectedRevoked);
                expectedRevoked = new ArrayList<>(bBefore);
                expectedRevoked.removeAll(b.assignment.get());
                assertThat(b.revoked).containsExactlyInAnyOrderElementsOf(expectedRevoked);
                Set<TopicPartition> moved = new TreeSet<>(java.util.Comparator.comparing(TopicPartition::toString));
                moved.addAll(a.revoked);
                moved.addAll(b.revoked);
                assertThat(c.assignment.get()).containsExactlyInAnyOrderElementsOf(moved);
            }
        }
    }

    private static void assertCoPartitioned(Set<TopicPartition> assignment, String cbc, String captures) {
        Set<Integer> cbcIndexes = assignment.stream().filter(tp -> tp.topic().equals(cbc))
                .map(TopicPartition::partition).collect(Collectors.toSet());
        Set<Integer> captureIndexes = assignment.stream().filter(tp -> tp.topic().equals(captures))
                .map(TopicPartition::partition).collect(Collectors.toSet());
        assertThat(cbcIndexes).as("co-partitioned: %s", assignment).isEqualTo(captureIndexes);
    }
}
