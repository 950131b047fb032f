package org.hemastream.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Vertx;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith({VertxExtension.class, KafkaBrokerExtension.class})
class VertxKafkaConsumerTest {

    @Test
    @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
    void newGroupStartingFromEarliestReceivesRecordsProducedBeforeItSubscribed(
            KafkaBroker broker, Vertx vertx, VertxTestContext testContext) throws Exception {
        String topic = broker.createTopic("vertx-earliest", 2);
        List<String> keys = List.of("SPEC-1", "SPEC-2", "SPEC-3", "SPEC-4");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer())) {
            for (String key : keys) {
                producer.send(new ProducerRecord<>(topic, key, "cbc-of-" + key)).get(30, TimeUnit.SECONDS);
            }
        }

        KafkaConsumer<String, String> consumer = KafkaConsumer.create(vertx, Map.of(
                "bootstrap.servers", broker.bootstrapServers(),
                "group.id", broker.freshTopic("vertx-group"),
                "key.deserializer", StringDeserializer.class.getName(),
                "value.deserializer", StringDeserializer.class.getName(),
                "auto.offset.reset", "earliest",
                "partition.assignment.strategy", RangeAssignor.class.getName(),
                "enable.auto.commit", "false"));

        // vertx-junit5 5.x completes the test context only after this method has returned, so the
        // checks run in the handler and the extension waits (up to @Timeout) for the checkpoints.
        Set<String> received = ConcurrentHashMap.newKeySet();
        Checkpoint everyRecord = testContext.checkpoint(keys.size());
        Checkpoint consumerClosed = testContext.checkpoint();
        consumer.handler(record -> testContext.verify(() -> {
            assertThat(record.key()).isIn(keys);
            assertThat(record.value()).isEqualTo("cbc-of-" + record.key());
            assertThat(received.add(record.key())).as("%s delivered once", record.key()).isTrue();
            everyRecord.flag();
            if (received.size() == keys.size()) {
                consumer.close().onComplete(testContext.succeeding(v -> consumerClosed.flag()));
            }
        }));
        consumer.subscribe(topic).onFailure(testContext::failNow);
    }
}
