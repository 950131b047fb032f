package org.hemastream.ingest;

import org.apache.kafka.common.utils.Utils;
import org.hemastream.events.ErrorCode;
import org.hemastream.events.EventReader;
import org.hemastream.events.ReadResult;
import org.hemastream.events.RecordOrigin;
import org.hemastream.observability.ServiceMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The first stage: an input record in, a validated event or a rejection out. Reads the record with the
 * {@link EventReader} (UTF-8, JSON, type/topic, schema, key = specimenId) and checks that it sits on the
 * partition Kafka's default partitioner (murmur2) gives its key — the join of a specimen's CBC and cells
 * depends on it; a mismatch is counted and logged, and the record is still processed. Logs name records by
 * topic, partition and offset, never by key or content.
 */
final class RecordIntake {

    private static final Logger log = LoggerFactory.getLogger(RecordIntake.class);

    /** A record read: its origin, the raw value (for dead letters) and the reader's verdict. */
    record Read(RecordOrigin origin, byte[] raw, ReadResult result) {
    }

    private final EventReader reader;
    private final Map<String, Integer> inputPartitions;
    private final ServiceMetrics metrics;
    private long mismatches;

    /** @param inputPartitions partition count of each input topic */
    RecordIntake(EventReader reader, Map<String, Integer> inputPartitions, ServiceMetrics metrics) {
        this.reader = reader;
        this.inputPartitions = Map.copyOf(inputPartitions);
        this.metrics = metrics;
    }

    Read read(KafkaLoop.InputRecord rec) {
        RecordOrigin origin = new RecordOrigin(rec.topic(), rec.partition(), rec.offset(), rec.timestamp(), rec.key());
        checkPartition(rec);
        ReadResult result;
        try {
            result = reader.read(rec.topic(), rec.key(), rec.value());
        } catch (RuntimeException e) {
            log.error("reading {}-{}@{} failed: {}", rec.topic(), rec.partition(), rec.offset(), e.getClass().getName());
            result = new ReadResult.Rejected(ErrorCode.PROCESSING_FAILED, e.toString(), null);
        }
        return new Read(origin, rec.value(), result);
    }

    private void checkPartition(KafkaLoop.InputRecord rec) {
        Integer n = inputPartitions.get(rec.topic());
        if (n == null || rec.key() == null) {
            return;
        }
        int expected = Utils.toPositive(Utils.murmur2(rec.key().getBytes(StandardCharsets.UTF_8))) % n;
        if (expected != rec.partition()) {
            metrics.partitionMismatch(rec.topic());
            if (mismatches++ % 1000 == 0) {
                log.warn("input record {}-{}@{} is not on the partition Kafka's default (murmur2) partitioner gives its key "
                                + "(expected {}): its producer uses another partitioner, so a specimen's CBC and cells may reach "
                                + "different instances ({} such records so far)", rec.topic(), rec.partition(), rec.offset(),
                        expected, mismatches);
            }
        }
    }
}
