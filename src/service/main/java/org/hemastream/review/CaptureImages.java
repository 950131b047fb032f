package org.hemastream.review;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.IOException;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Cell images read back from the captures topic ({@code lab.cell.captures}) by partition and offset — the images
 * stay where the scanner put them; there is no second image store. One poll returns a stretch of records (a
 * slide's cells are mostly neighbours), and every cell image in it is cached, so a slide's grid costs a few
 * fetches. The cache is bounded in bytes (least recently used out).
 *
 * <p>The record must still be on the topic: the captures topic's retention bounds how long after capture a slide
 * can be reviewed or exported. Thread-safe: reads from Kafka are serialized (one consumer) and block — call
 * {@link #image} and {@link #prefetch} on a worker thread; {@link #cached} only takes the cache's lock and may be
 * called from an event loop.
 */
public final class CaptureImages implements AutoCloseable {

    private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(10);

    /** A cell image as the scanner sent it (JPEG or PNG bytes) with the cell it belongs to. */
    public record Image(String specimenId, String slideId, String cellId, byte[] bytes) {

        /** {@code image/png} or {@code image/jpeg}, by the file's signature. */
        public String contentType() {
            return bytes.length > 3 && bytes[0] == (byte) 0x89 && bytes[1] == 'P' ? "image/png" : "image/jpeg";
        }
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final long maxBytes;
    private final ObjectMapper mapper = new ObjectMapper();
    private final LinkedHashMap<String, Image> lru = new LinkedHashMap<>(16, 0.75f, true);
    private long cachedBytes;

    /** Connects at once (metadata of the topic), so the first slide does not pay for it. */
    public CaptureImages(Map<String, Object> clientSettings, String topic, long maxCacheBytes) {
        this.consumer = new KafkaConsumer<>(clientSettings, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.topic = topic;
        this.maxBytes = maxCacheBytes;
        consumer.partitionsFor(topic);
    }

    /**
     * Reads these positions into the cache in one pass per partition (from the first wanted offset to the last):
     * a slide's images cost one or two fetches instead of one each. Positions already cached are skipped.
     */
    public synchronized void prefetch(Map<Integer, List<Long>> offsetsByPartition) {
        offsetsByPartition.forEach((partition, offsets) -> {
            List<Long> missing = offsets.stream().filter(o -> cached(partition, o) == null).sorted().toList();
            if (missing.isEmpty()) {
                return;
            }
            TopicPartition tp = new TopicPartition(topic, partition);
            consumer.assign(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            long last = Math.min(missing.get(missing.size() - 1), end - 1);
            consumer.seek(tp, missing.get(0));
            long deadline = System.nanoTime() + FETCH_TIMEOUT.toNanos();
            while (consumer.position(tp) <= last && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200)).records(tp)) {
                    if (r.offset() <= last) {
                        remember(partition, r.offset(), r.value());
                    }
                }
            }
        });
    }

    /** The cell image at this position, or empty when the record is gone (retention) or is not a cell image. */
    public synchronized Optional<Image> image(int partition, long offset) {
        Image cached = cached(partition, offset);
        if (cached != null) {
            return Optional.of(cached);
        }
        TopicPartition tp = new TopicPartition(topic, partition);
        if (consumer.partitionsFor(topic).stream().noneMatch(p -> p.partition() == partition)) {
            return Optional.empty();
        }
        consumer.assign(List.of(tp));
        long start = consumer.beginningOffsets(List.of(tp)).get(tp);
        long end = consumer.endOffsets(List.of(tp)).get(tp);
        if (offset < start || offset >= end) {
            return Optional.empty();
        }
        consumer.seek(tp, offset);
        long deadline = System.nanoTime() + FETCH_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            List<ConsumerRecord<byte[], byte[]>> records = consumer.poll(Duration.ofMillis(200)).records(tp);
            if (records.isEmpty()) {
                continue;
            }
            Image wanted = null;
            for (ConsumerRecord<byte[], byte[]> r : records) {
                Image image = remember(partition, r.offset(), r.value());
                wanted = r.offset() == offset ? image : wanted;
            }
            if (records.get(records.size() - 1).offset() >= offset) {
                return Optional.ofNullable(wanted);
            }
        }
        throw new IllegalStateException("no answer from Kafka for " + topic + "-" + partition + "@" + offset
                + " within " + FETCH_TIMEOUT.toSeconds() + " s");
    }

    /** The image if it is in memory; never reads from Kafka. */
    public Image cached(int partition, long offset) {
        synchronized (lru) {
            return lru.get(partition + "@" + offset);
        }
    }

    /** Caches the record's image if it is a cell image; returns it (null if not one). */
    private Image remember(int partition, long offset, byte[] value) {
        Image known = cached(partition, offset);
        if (known != null || value == null) {
            return known;
        }
        Image image;
        try {
            JsonNode n = mapper.readTree(value);
            if (!"cell-image".equals(n.path("type").asText()) || !n.path("image").isTextual()) {
                return null;
            }
            image = new Image(n.path("specimenId").asText(), n.path("slideId").asText(), n.path("cellId").asText(),
                    Base64.getDecoder().decode(n.path("image").asText()));
        } catch (IOException | IllegalArgumentException e) {
            return null; // not a cell image the service would have classified: nothing to show
        }
        synchronized (lru) {
            lru.put(partition + "@" + offset, image);
            cachedBytes += image.bytes().length;
            var it = lru.entrySet().iterator();
            while (cachedBytes > maxBytes && it.hasNext()) {
                cachedBytes -= it.next().getValue().bytes().length;
                it.remove();
            }
        }
        return image;
    }

    @Override
    public synchronized void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
