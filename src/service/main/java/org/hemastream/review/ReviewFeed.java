package org.hemastream.review;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Reads the alerts, cell results, CBCs and reviews into the {@link ReviewInbox}, from the beginning of every
 * partition, then follows them. {@code read_committed}: the service's aborted transactions are never shown.
 * No consumer group: the review server is one replica that always reads everything, independent of how the
 * classifier instances share partitions (partitions added to a topic later are picked up at a restart).
 *
 * <p>One thread of its own ({@code hemastream-review-feed}); {@link #caughtUp()} completes once every partition
 * was read up to its end offset at start.
 */
public final class ReviewFeed implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReviewFeed.class);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final ReviewInbox inbox;
    private final ReviewConfig.Topics topics;
    private final CompletableFuture<Void> caughtUp = new CompletableFuture<>();
    private final Thread thread;
    private volatile boolean running = true;
    private long unreadable;

    public ReviewFeed(Map<String, Object> clientSettings, ReviewConfig.Topics topics, ReviewInbox inbox) {
        this.consumer = new KafkaConsumer<>(clientSettings, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.topics = topics;
        this.inbox = inbox;
        this.thread = new Thread(this::run, "hemastream-review-feed");
        thread.setDaemon(true);
    }

    public ReviewFeed start() {
        thread.start();
        return this;
    }

    /** Completes once the history present at start is read (then the page shows every alert so far). */
    public CompletableFuture<Void> caughtUp() {
        return caughtUp;
    }

    private void run() {
        try {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : List.of(topics.blastAlerts(), topics.alertReviews(), topics.cbc(), topics.cellResults())) {
                consumer.partitionsFor(topic, Duration.ofSeconds(60))
                        .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            log.info("review feed: reading {} partitions from the beginning", partitions.size());
            while (running) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    accept(r);
                }
                if (!caughtUp.isDone() && ends.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue())) {
                    log.info("review feed caught up: {} alerted slides", inbox.alerts().size());
                    caughtUp.complete(null);
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            log.error("review feed stopped: {}", e.toString());
            caughtUp.completeExceptionally(e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void accept(ConsumerRecord<byte[], byte[]> r) {
        JsonObject event;
        try {
            event = r.value() == null ? null : new JsonObject(new String(r.value(), StandardCharsets.UTF_8));
        } catch (DecodeException e) {
            event = null;
        }
        if (event == null || event.getString("specimenId") == null) {
            if (unreadable++ % 1000 == 0) {
                log.warn("review feed: unreadable record {}-{}@{} skipped ({} so far)", r.topic(), r.partition(), r.offset(), unreadable);
            }
            return;
        }
        String type = String.valueOf(event.getValue("type"));
        try {
            switch (type) {
                case "blast-alert" -> inbox.alert(event);
                case "cell-result" -> inbox.cellResult(event);
                case "cbc-result" -> inbox.cbc(event);
                case "alert-review" -> inbox.review(event);
                default -> unreadable++;
            }
        } catch (RuntimeException e) {
            unreadable++;
            log.warn("review feed: {} at {}-{}@{} not usable: {}", type, r.topic(), r.partition(), r.offset(), e.toString());
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(10_000);
    }
}
