package org.hemastream.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.hemastream.config.ServiceConfig;
import org.hemastream.ingest.KafkaClients;
import org.hemastream.kafka.KafkaBroker;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A partition taken over from a zombie: an instance frozen past its session timeout (the group gave its
 * partitions away) wakes inside a transaction whose offsets it had already sent, and commits it — Kafka
 * allows that (the offsets were checked against its generation when sent). The new owner must restore the
 * partition's specimens only once that transaction is decided, or it resumes after the zombie's offsets
 * with state that lacks the zombie's cells: the specimen never completes (the fault suite's
 * {@code service-freeze} lost a final score this way).
 */
class ZombieTransactionPipelineTest extends PipelineTestBase {

    private static final String ID = "ZOMBIE-1";

    @Test
    void aNewOwnerRestoresTheStateOfTheZombiesPendingTransactionAndCompletesTheSpecimen(KafkaBroker broker)
            throws Exception {
        List<TestCells.Cell> cells = new ArrayList<>(TestCells.labelled("segmented_neutrophil", "PBC"));
        cells.addAll(TestCells.labelled("lymphocyte", "PBC"));
        int n = cells.size();
        int k = n / 2;

        // The state the zombie had computed: the real service's state after the CBC and the first k cells.
        PipelineHarness source = harness(broker, Map.of("instance.id", "zombie-source"));
        source.start(PipelineHarness.classifier());
        sendInput(source, cells, 0, k);
        await().atMost(Duration.ofSeconds(60)).until(() -> source.cellResults().size() == k);
        source.stopService();
        ConsumerRecord<String, byte[]> state = lastRecord(broker, source.config.topics().specimenState());
        int p = state.partition();

        // The successor's topics hold the whole input; the zombie's transaction holds that state and the
        // offsets after the CBC and the first k cells, sent under a generation of the group, still open.
        PipelineHarness h = harness(broker, Map.of("instance.id", "zombie-successor"));
        ServiceConfig.TopicsConfig t = h.config.topics();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(t.cbc(), 2, (short) 1), new NewTopic(t.captures(), 2, (short) 1),
                    new NewTopic(t.specimenState(), 2, (short) 1).configs(Map.of("cleanup.policy", "compact"))))
                    .all().get(30, TimeUnit.SECONDS);
        }
        sendInput(h, cells, 0, n);
        h.send(t.captures(), ID, h.slideComplete(ID, ID + "-S1", n));
        KafkaProducer<String, byte[]> zombie = new KafkaProducer<>(Map.of("bootstrap.servers", broker.bootstrapServers(),
                "transactional.id", "zombie-" + h.config.kafka().groupId()), new StringSerializer(), new ByteArraySerializer());
        zombie.initTransactions();
        zombie.beginTransaction();
        zombie.send(new ProducerRecord<>(t.specimenState(), p, state.key(), state.value())).get(30, TimeUnit.SECONDS);
        try (KafkaConsumer<String, byte[]> member = new KafkaConsumer<>(Map.of("bootstrap.servers", broker.bootstrapServers(),
                "group.id", h.config.kafka().groupId(), "enable.auto.commit", "false",
                "partition.assignment.strategy", KafkaClients.CO_PARTITION_ASSIGNOR),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            member.subscribe(List.of(t.cbc(), t.captures()));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                member.poll(Duration.ofMillis(100));
                return member.assignment().size() == 4;
            });
            zombie.sendOffsetsToTransaction(Map.of(new TopicPartition(t.cbc(), p), new OffsetAndMetadata(1),
                    new TopicPartition(t.captures(), p), new OffsetAndMetadata(k)), member.groupMetadata());
        } // the member leaves: the successor gets every partition while the transaction is still open

        CompletableFuture<Void> zombieCommitted = CompletableFuture.runAsync(() -> {
            try {
                Thread.sleep(4000); // the successor is assigned meanwhile
                zombie.commitTransaction();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            } finally {
                zombie.close(Duration.ofSeconds(5));
            }
        });
        h.start(PipelineHarness.classifier());
        zombieCommitted.get(60, TimeUnit.SECONDS);

        await().atMost(Duration.ofSeconds(90)).until(() -> finals(h).size() == 1);
        JsonNode fin = finals(h).get(0);
        assertThat(fin.at("/completeness/classifiedCells").asInt()).as("cells the final score counts").isEqualTo(n);
        assertThat(fin.at("/completeness/cbcAvailable").asBoolean()).as("the CBC restored with the state").isTrue();
        // the zombie's cells come back from its state, not classified again
        assertThat(h.cellResults()).hasSize(n - k);
    }

    private static void sendInput(PipelineHarness h, List<TestCells.Cell> cells, int from, int to) throws Exception {
        if (from == 0) {
            h.send(h.config.topics().cbc(), ID, h.cbc(ID).put("measuredAt", "2026-11-26T07:50:00Z"));
        }
        for (int i = from; i < to; i++) {
            h.send(h.config.topics().captures(), ID, h.cell(ID, ID + "-S1", ID + "-c" + i, cells.get(i).jpeg()));
        }
    }

    private static ConsumerRecord<String, byte[]> lastRecord(KafkaBroker broker, String topic) {
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers", broker.bootstrapServers(),
                "isolation.level", "read_committed"), new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = c.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps);
            ConsumerRecord<String, byte[]> last = null;
            while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (ID.equals(r.key()) && r.value() != null) {
                        last = r;
                    }
                }
            }
            assertThat(last).as("the state of %s on %s", ID, topic).isNotNull();
            return last;
        }
    }

    private static List<JsonNode> finals(PipelineHarness h) {
        return h.events(h.config.topics().diagnosticScores()).stream()
                .filter(s -> s.get("specimenId").asText().equals(ID) && s.get("stage").asText().equals("final"))
                .toList();
    }
}
