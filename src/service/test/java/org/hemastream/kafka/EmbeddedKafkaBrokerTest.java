package org.hemastream.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(KafkaBrokerExtension.class)
class EmbeddedKafkaBrokerTest {

    @Test
    void recordProducedWithPlainClientsIsConsumedBackUnchanged(KafkaBroker broker) throws Exception {
        String topic = broker.createTopic("round-trip", 1);
        RecordMetadata sent;
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer())) {
            sent = producer.send(new ProducerRecord<>(topic, "SPEC-0001", "{\"wbc\":7.2}")).get(30, TimeUnit.SECONDS);
        }

        List<ConsumerRecord<String, String>> received = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, broker.freshTopic("group"),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (received.isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(received::add);
            }
        }

        assertThat(received).singleElement().satisfies(record -> {
            assertThat(record.key()).isEqualTo("SPEC-0001");
            assertThat(record.value()).isEqualTo("{\"wbc\":7.2}");
            assertThat(record.offset()).isEqualTo(sent.offset());
        });
    }

    @Test
    void aBrokerRestartedOnItsDataDirectoryHasTheSameAddressAndItsRecords(@TempDir Path dataDir) throws Exception {
        String topic = "restart-" + System.nanoTime();
        RecordMetadata sent;
        String firstAddress;
        try (EmbeddedKafkaBroker first = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Settings.defaults().withDataDir(dataDir))) {
            assertThat(first.restarted()).isFalse();
            firstAddress = first.bootstrapServers();
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, first.bootstrapServers(),
                    ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer())) {
                sent = producer.send(new ProducerRecord<>(topic, "SPEC-0002", "{\"hgb\":9.1}")).get(30, TimeUnit.SECONDS);
            }
        }
        assertThat(dataDir.resolve("logs").resolve("meta.properties")).exists();

        // no ports given: the restart takes those of the earlier run, and does not reformat
        try (EmbeddedKafkaBroker second = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Settings.defaults().withDataDir(dataDir))) {
            assertThat(second.restarted()).isTrue();
            assertThat(second.bootstrapServers()).isEqualTo(firstAddress);
            List<ConsumerRecord<String, String>> received = new ArrayList<>();
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, second.bootstrapServers(),
                    ConsumerConfig.GROUP_ID_CONFIG, "restart-reader",
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(List.of(topic));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (received.isEmpty() && System.nanoTime() < deadline) {
                    consumer.poll(Duration.ofMillis(200)).forEach(received::add);
                }
            }
            assertThat(received).singleElement().satisfies(record -> {
                assertThat(record.key()).isEqualTo("SPEC-0002");
                assertThat(record.value()).isEqualTo("{\"hgb\":9.1}");
                assertThat(record.offset()).isEqualTo(sent.offset());
            });
        }
        assertThat(dataDir.resolve("logs")).exists();
    }

    @Test
    void settingsRefuseTheSamePortForClientsAndController() {
        assertThatThrownBy(() -> EmbeddedKafkaBroker.Settings.defaults().withPort(19092).withControllerPort(19092))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("controller port");
    }

    @Test
    void closeIsIdempotentAndFreesThePort() throws IOException {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start();
        int port = broker.port();
        assertThat(broker.bootstrapServers()).isEqualTo("127.0.0.1:" + port);

        broker.close();
        broker.close();

        try (ServerSocket rebound = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            assertThat(rebound.getLocalPort()).isEqualTo(port);
        }
    }

    @Test
    void settingsRefuseAMessageSizeBelowOneKibibyteNamingTheKey() {
        assertThatThrownBy(() -> EmbeddedKafkaBroker.Settings.defaults().withMessageMaxBytes(10))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("message.max.bytes");
    }

    @Test
    void aQuorumNodeGetsItsIdTheVotersAndReplicationOfAThreeNodeCluster() {
        String clusterId = org.apache.kafka.common.Uuid.randomUuid().toString();
        EmbeddedKafkaBroker.Quorum quorum = EmbeddedKafkaBroker.Quorum.parse(2,
                "1@127.0.0.1:19501, 2@127.0.0.1:19502,3@127.0.0.1:19503", clusterId);
        java.util.Properties p = EmbeddedKafkaBroker.brokerProperties(EmbeddedKafkaBroker.Settings.defaults().withQuorum(quorum),
                Path.of("/tmp/x"), 19402, quorum.controllerPort(), -1);

        assertThat(p).containsEntry("node.id", "2")
                .containsEntry("controller.quorum.voters", "1@127.0.0.1:19501,2@127.0.0.1:19502,3@127.0.0.1:19503")
                .containsEntry("listeners", "PLAINTEXT://127.0.0.1:19402,CONTROLLER://127.0.0.1:19502")
                .containsEntry("default.replication.factor", "3").containsEntry("min.insync.replicas", "2")
                .containsEntry("transaction.state.log.replication.factor", "3").containsEntry("transaction.state.log.min.isr", "2")
                .containsEntry("offsets.topic.replication.factor", "3");
        assertThat(EmbeddedKafkaBroker.brokerProperties(EmbeddedKafkaBroker.Settings.defaults(), Path.of("/tmp/x"), 19402, 19403, -1))
                .as("the single-node default is unchanged")
                .containsEntry("node.id", "1").containsEntry("controller.quorum.voters", "1@127.0.0.1:19403")
                .containsEntry("default.replication.factor", "1").containsEntry("transaction.state.log.min.isr", "1");
    }

    @Test
    void aQuorumRefusesANodeOutsideItOtherHostsAndABadClusterId() {
        String clusterId = org.apache.kafka.common.Uuid.randomUuid().toString();
        assertThatThrownBy(() -> EmbeddedKafkaBroker.Quorum.parse(4, "1@127.0.0.1:19501,2@127.0.0.1:19502", clusterId))
                .hasMessageContaining("node 4 is not one of the quorum's voters");
        assertThatThrownBy(() -> EmbeddedKafkaBroker.Quorum.parse(1, "1@10.0.0.5:19501", clusterId))
                .hasMessageContaining("must look like ID@127.0.0.1:PORT");
        assertThatThrownBy(() -> EmbeddedKafkaBroker.Quorum.parse(1, "1@127.0.0.1:19501", "not-a-uuid"))
                .hasMessageContaining("cluster ID");
    }
}
