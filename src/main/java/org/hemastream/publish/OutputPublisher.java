package org.hemastream.publish;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import io.vertx.kafka.client.producer.RecordMetadata;
import org.hemastream.config.ServiceConfig;
import org.hemastream.events.BlastAlert;
import org.hemastream.events.CellResult;
import org.hemastream.events.DeadLetter;
import org.hemastream.events.EventWriter;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Publishes the service's outputs — cell results, blast alerts, diagnostic scores, dead letters — keyed by specimen ID
 * (dead letters by the original record's key), idempotent producer with {@code acks=all}. Every send
 * returns a Future completed when the broker acknowledged it: the caller releases the input offsets only
 * then.
 */
public final class OutputPublisher {

    private final KafkaProducer<String, byte[]> producer;
    private final ServiceConfig.TopicsConfig topics;
    private final EventWriter writer = new EventWriter();
    private final int maxDeadLetterBytes;

    /**
     * Creates the native producer — blocking (class loading, config parsing): call it on a worker
     * thread, never on an event loop.
     */
    public static org.apache.kafka.clients.producer.Producer<String, byte[]> createNative(ServiceConfig config) {
        Map<String, String> props = new HashMap<>(config.kafka().clientSettings());
        props.put("bootstrap.servers", config.kafka().bootstrapServers());
        props.put("key.serializer", "org.apache.kafka.common.serialization.StringSerializer");
        props.put("value.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
        props.put("acks", "all");
        props.put("enable.idempotence", "true");
        props.putIfAbsent("linger.ms", "2");
        props.putIfAbsent("client.id", "hemastream-publisher");
        props.put("max.request.size", String.valueOf(Math.max(1_048_576, config.deadLetters().maxMessageBytes() + 4096)));
        props.remove("group.id");
        Map<String, Object> objects = new HashMap<>(props);
        return new org.apache.kafka.clients.producer.KafkaProducer<>(objects);
    }

    /** Wraps a native producer made by {@link #createNative}. */
    public OutputPublisher(Vertx vertx, ServiceConfig config, org.apache.kafka.clients.producer.Producer<String, byte[]> nativeProducer) {
        this.producer = KafkaProducer.create(vertx, nativeProducer);
        this.topics = config.topics();
        this.maxDeadLetterBytes = config.deadLetters().maxMessageBytes();
    }

    public Future<RecordMetadata> cellResult(CellResult r) {
        return send(topics.cellResults(), r.specimenId(), writer.cellResult(r));
    }

    public Future<RecordMetadata> diagnosticScore(org.hemastream.events.DiagnosticScore s) {
        return send(topics.diagnosticScores(), s.specimenId(), writer.diagnosticScore(s));
    }

    public Future<RecordMetadata> blastAlert(BlastAlert a) {
        return send(topics.blastAlerts(), a.specimenId(), writer.blastAlert(a));
    }

    /**
     * Publishes a dead letter, truncating (and marking) the original only as far as needed to stay under
     * {@code deadLetters.maxMessageBytes}: the dead letter itself must never be lost.
     */
    public Future<RecordMetadata> deadLetter(org.hemastream.events.ErrorCode code, String message, String specimenId,
                                             org.hemastream.events.RecordOrigin origin, byte[] original) {
        DeadLetter empty = DeadLetter.of(code, message, specimenId, origin, null, 0, Instant.now());
        int overhead = writer.deadLetterOverhead(empty) + 64;
        DeadLetter letter = DeadLetter.of(code, message, specimenId, origin, original,
                Math.max(0, maxDeadLetterBytes - overhead), empty.deadLetteredAt());
        return send(topics.deadLetters(), origin.key(), writer.deadLetter(letter));
    }

    private Future<RecordMetadata> send(String topic, String key, byte[] value) {
        return producer.send(KafkaProducerRecord.create(topic, key, value));
    }

    /** The native producer (for Kafka client metrics). */
    public org.apache.kafka.clients.producer.Producer<String, byte[]> unwrap() {
        return producer.unwrap();
    }

    public Future<Void> close() {
        return producer.close();
    }
}
