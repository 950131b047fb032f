package org.hemastream.ingest;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * Sends a sealed {@link TransactionCycle.CommitUnit} with the instance's one producer (Kafka Streams'
 * {@code StreamsProducer}): as one transaction under {@code exactly_once}, or send-until-acknowledged under
 * {@code at_least_once}. Owns the producer and replaces it when it is fenced or broken
 * ({@code initTransactions} with the same {@code transactional.id} fences the old one and completes or
 * aborts its open transaction). Used from the {@link KafkaLoop} thread only.
 */
final class UnitCommitter {

    private static final Logger log = LoggerFactory.getLogger(UnitCommitter.class);

    private final Map<String, Object> props;
    private final boolean exactlyOnce;
    private final String changelog;
    private final BooleanSupplier running;
    private Producer<String, byte[]> producer;

    UnitCommitter(Map<String, Object> props, boolean exactlyOnce, String changelog, BooleanSupplier running) {
        this.props = props;
        this.exactlyOnce = exactlyOnce;
        this.changelog = changelog;
        this.running = running;
        this.producer = newProducer();
    }

    Producer<String, byte[]> producer() {
        return producer;
    }

    /**
     * Commits the unit as one transaction: outputs, state records, the input positions for the group.
     * A commit that times out (broker away) is retried — its outcome is unknown until the coordinator
     * answers. Any other failure aborts (or replaces the producer when it cannot abort).
     *
     * @return whether the transaction committed; false means aborted, or unknown when the producer had to be
     *         replaced (the caller checks the committed offsets)
     */
    boolean commitTransaction(TransactionCycle.CommitUnit unit, ConsumerGroupMetadata group) {
        boolean committing = false;
        try {
            producer.beginTransaction();
            for (ProducerRecord<String, byte[]> r : records(unit)) {
                failFast(producer.send(r));
            }
            Map<TopicPartition, OffsetAndMetadata> offsets = offsets(unit);
            if (!offsets.isEmpty()) {
                producer.sendOffsetsToTransaction(offsets, group);
            }
            committing = true;
            while (true) {
                try {
                    producer.commitTransaction();
                    return true;
                } catch (TimeoutException e) {
                    if (!running.getAsBoolean()) {
                        throw e;
                    }
                    log.warn("commit of unit {} timed out ({}); retrying (the broker decides its outcome)", unit.sequence(),
                            e.getMessage());
                }
            }
        } catch (KafkaException e) {
            log.warn("transaction of unit {} ({} outputs, {} state records) failed{}: {}", unit.sequence(),
                    unit.outputs().size(), unit.state().size(), committing ? " while committing" : "", e.toString());
            try {
                producer.abortTransaction();
            } catch (KafkaException abort) {
                log.info("abort failed ({}): replacing the producer (initTransactions fences the old one)", abort.toString());
                producer.close(Duration.ZERO);
                producer = newProducer();
            }
            return false;
        }
    }

    /**
     * A send that failed at once (its topic's metadata did not come within {@code max.block.ms}: the broker
     * is away) dooms the transaction: stop there instead of waiting {@code max.block.ms} for every record.
     */
    private static void failFast(Future<RecordMetadata> sent) {
        if (sent.isDone()) {
            try {
                sent.get();
            } catch (java.util.concurrent.ExecutionException e) {
                throw e.getCause() instanceof KafkaException k ? k : new KafkaException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new KafkaException(e);
            }
        }
    }

    /**
     * Sends every output and state record of the unit, re-sending each failed one with the same content until
     * the broker acknowledges it (however long it is away).
     */
    void sendUntilAcked(TransactionCycle.CommitUnit unit, IntConsumer retried) {
        List<ProducerRecord<String, byte[]>> pending = records(unit);
        long backoff = 100;
        while (!pending.isEmpty() && running.getAsBoolean()) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (ProducerRecord<String, byte[]> r : pending) {
                sent.add(producer.send(r));
            }
            producer.flush();
            List<ProducerRecord<String, byte[]>> failed = new ArrayList<>();
            for (int i = 0; i < sent.size(); i++) {
                try {
                    sent.get(i).get();
                } catch (Exception e) {
                    failed.add(pending.get(i));
                }
            }
            if (!failed.isEmpty()) {
                log.warn("{} of {} sends of unit {} not acknowledged; re-sending them", failed.size(), pending.size(),
                        unit.sequence());
                retried.accept(failed.size());
                KafkaLoop.sleep(backoff);
                backoff = Math.min(5000, backoff * 2);
            }
            pending = failed;
        }
    }

    void close(Duration timeout) {
        producer.close(timeout);
    }

    private Producer<String, byte[]> newProducer() {
        while (true) {
            KafkaProducer<String, byte[]> p = new KafkaProducer<>(props);
            if (!exactlyOnce) {
                return p;
            }
            try {
                p.initTransactions();
                return p;
            } catch (KafkaException e) {
                p.close(Duration.ZERO);
                if (!running.getAsBoolean()) {
                    throw e;
                }
                log.warn("initialising transactions failed ({}); retrying", e.toString());
                KafkaLoop.sleep(1000);
            }
        }
    }

    private List<ProducerRecord<String, byte[]>> records(TransactionCycle.CommitUnit unit) {
        List<ProducerRecord<String, byte[]>> out = new ArrayList<>(unit.outputs().size() + unit.state().size());
        for (TransactionCycle.Output o : unit.outputs()) {
            out.add(new ProducerRecord<>(o.topic(), o.key(), o.value()));
        }
        for (TransactionCycle.StateRecord s : unit.state()) {
            out.add(new ProducerRecord<>(changelog, s.partition(), s.specimenId(), s.value()));
        }
        return out;
    }

    static Map<TopicPartition, OffsetAndMetadata> offsets(TransactionCycle.CommitUnit unit) {
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        unit.offsets().forEach((p, o) -> out.put(new TopicPartition(p.topic(), p.partition()), new OffsetAndMetadata(o)));
        return out;
    }
}
