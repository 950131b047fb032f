package org.hemastream.ingest;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.hemastream.specimen.SpecimenState;
import org.hemastream.specimen.SpecimenStateCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Restores the state of input partitions from the state changelog (Kafka Streams'
 * {@code StoreChangelogReader}): reads changelog partition <i>i</i> for input partition <i>i</i> from the
 * beginning to its end, {@code read_committed} (the last stable offset: only committed units), and keeps the
 * latest record per specimen. Blocking; used from the {@link KafkaLoop} thread.
 */
final class ChangelogReader {

    private static final Logger log = LoggerFactory.getLogger(ChangelogReader.class);

    private final Map<String, Object> props;
    private final String changelog;
    private final SpecimenStateCodec codec = new SpecimenStateCodec();

    ChangelogReader(Map<String, Object> props, String changelog) {
        this.props = props;
        this.changelog = changelog;
    }

    /** The latest state of each specimen of the given input partitions (open ones and closed markers). */
    List<SpecimenState> restore(Collection<Integer> partitions) {
        if (partitions.isEmpty()) {
            return List.of();
        }
        long t0 = System.nanoTime();
        Map<String, SpecimenState> latest = new LinkedHashMap<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = partitions.stream().map(p -> new TopicPartition(changelog, p)).toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps, Duration.ofSeconds(30));
            int records = 0;
            while (tps.stream().anyMatch(tp -> c.position(tp, Duration.ofSeconds(30)) < end.get(tp))) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    records++;
                    if (r.value() == null) {
                        latest.remove(r.key());
                        continue;
                    }
                    try {
                        latest.put(r.key(), codec.decode(r.value()));
                    } catch (IllegalArgumentException e) {
                        log.error("changelog {}-{}@{} unreadable, skipped: {}", r.topic(), r.partition(), r.offset(),
                                e.getMessage());
                    }
                }
            }
            log.info("restored {} specimen states ({} records) of partitions {} in {} ms", latest.size(), records,
                    partitions, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        }
        return new ArrayList<>(latest.values());
    }
}
