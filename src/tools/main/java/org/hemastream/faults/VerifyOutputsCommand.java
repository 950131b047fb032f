package org.hemastream.faults;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code hemastream verify-outputs}: an independent check of what the service published, in the
 * spirit of Kafka's EOS system test. Reads every output topic with {@code isolation.level=read_committed}
 * from the beginning to the end offsets, with plain Kafka clients and none of the service's code, and
 * reports per kind of output: lost, duplicated, same ID with different content, different from a
 * baseline, extra — and specimens without a final score. Exit code 0 only when nothing is wrong.
 *
 * <p>A fault suite runs it twice: after a run without faults with {@code --write-baseline FILE}, and
 * after the run with faults with {@code --baseline FILE}.
 */
@Command(name = "verify-outputs", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Read every hemastream output topic (read_committed, beginning to end) and check that every output",
                "is there exactly once, with one content per ID, and (with --baseline) identical to a run without faults.",
                "Prints a summary table; exits 1 on any violation, 2 on bad usage or when Kafka cannot be read."})
public final class VerifyOutputsCommand implements Callable<Integer> {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT", defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS}",
            description = "Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS)")
    String bootstrapServers;

    @Option(names = "--baseline", paramLabel = "FILE", description = "compare with this baseline (written by --write-baseline)")
    Path baseline;

    @Option(names = "--write-baseline", paramLabel = "FILE",
            description = "write what was read as the baseline of later runs (refused when an ID has two contents)")
    Path writeBaseline;

    @Option(names = "--allow-duplicates",
            description = "do not count identical copies as violations (at-least-once consumers de-duplicate by ID)")
    boolean allowDuplicates;

    @Option(names = "--tolerance", description = "numbers closer than this are equal")
    double tolerance = 1e-5;

    @Option(names = "--topic-cell-results", paramLabel = "TOPIC")
    String cellResults = OutputKind.CELL_RESULT.defaultTopic();

    @Option(names = "--topic-blast-alerts", paramLabel = "TOPIC")
    String blastAlerts = OutputKind.BLAST_ALERT.defaultTopic();

    @Option(names = "--topic-diagnostic-scores", paramLabel = "TOPIC")
    String diagnosticScores = OutputKind.DIAGNOSTIC_SCORE.defaultTopic();

    @Option(names = "--topic-dead-letters", paramLabel = "TOPIC")
    String deadLetters = OutputKind.DEAD_LETTER.defaultTopic();

    @Option(names = "--await-quiet-s", paramLabel = "SECONDS",
            description = "first wait until the output topics have not grown for this long (and, with --group, the group "
                    + "has consumed its inputs); 0 = read at once")
    int awaitQuietSeconds = 0;

    @Option(names = "--await-timeout-s", paramLabel = "SECONDS", description = "give up waiting for quiet after this long")
    int awaitTimeoutSeconds = 600;

    @Option(names = "--await-stuck-s", paramLabel = "SECONDS",
            description = "with --group: outputs still this long count as quiet even if the group has not consumed its "
                    + "inputs (an open specimen holds its commit back); longer than the consumers' session timeout")
    int awaitStuckSeconds = 90;

    @Option(names = "--group", description = "the service's consumer group, for --await-quiet-s")
    String group;

    @Option(names = "--input-topics", split = ",", description = "the service's input topics, for --await-quiet-s with --group")
    List<String> inputTopics = new ArrayList<>(List.of("lab.cbc.results", "lab.cell.captures"));

    @Option(names = "--first-output-after", paramLabel = "EPOCH_MS",
            description = "also print the time from this moment (e.g. a restart) to the first output record stamped after it")
    Long firstOutputAfter;

    @Option(names = "--consumer-property", paramLabel = "KEY=VALUE", description = "extra Kafka consumer setting (TLS, SASL, …)")
    Map<String, String> consumerProperties = new LinkedHashMap<>();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            err.println("verify-outputs: --bootstrap-servers (or KAFKA_BOOTSTRAP_SERVERS) is required");
            return 2;
        }
        Map<String, OutputKind> topics = new LinkedHashMap<>();
        topics.put(cellResults, OutputKind.CELL_RESULT);
        topics.put(blastAlerts, OutputKind.BLAST_ALERT);
        topics.put(diagnosticScores, OutputKind.DIAGNOSTIC_SCORE);
        topics.put(deadLetters, OutputKind.DEAD_LETTER);
        try {
            Baseline expected = baseline == null ? null : Baseline.read(baseline);
            if (awaitQuietSeconds > 0) {
                long waited = awaitQuiet(List.copyOf(topics.keySet()), err);
                out.printf(Locale.ROOT, "quiet after %d s%n", waited / 1000);
            }
            OutputCheck check = new OutputCheck(tolerance);
            long[] firstAfter = {Long.MAX_VALUE};
            int read = readAll(topics, check, firstAfter);
            out.printf(Locale.ROOT, "read %d output records (read_committed)%n", read);
            if (firstOutputAfter != null) {
                out.printf(Locale.ROOT, "first_output_after_ms=%s%n",
                        firstAfter[0] == Long.MAX_VALUE ? "none" : Long.toString(firstAfter[0] - firstOutputAfter));
            }
            OutputCheck.Verdict verdict = check.verify(expected);
            out.print(verdict.table());
            String examples = verdict.examples();
            if (!examples.isEmpty()) {
                out.println();
                out.println("examples (IDs of cells and dead letters hashed):");
                out.print(examples);
            }
            KindTotals t = KindTotals.of(verdict);
            boolean passed = verdict.passed(allowDuplicates);
            out.printf(Locale.ROOT, "verdict=%s lost=%d duplicated=%d same_id_different_content=%d differs_from_baseline=%d "
                            + "extra=%d unreadable=%d incomplete_specimens=%d%s%n", passed ? "PASS" : "FAIL", t.lost, t.duplicated,
                    t.conflicting, t.differs, t.extra, t.unreadable, verdict.incompleteSpecimens(),
                    expected == null ? " (no baseline)" : "");
            if (writeBaseline != null) {
                check.toBaseline().write(writeBaseline);
                out.println("baseline written: " + writeBaseline);
            }
            out.flush();
            return passed ? 0 : 1;
        } catch (IOException e) {
            err.println("verify-outputs: " + e.getMessage());
            return 2;
        } catch (IllegalStateException | KafkaException e) {
            err.println("verify-outputs: " + e.getMessage());
            return writeBaseline != null ? 1 : 2;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 2;
        }
    }

    private record KindTotals(int lost, int duplicated, int conflicting, int differs, int extra, int unreadable) {
        static KindTotals of(OutputCheck.Verdict v) {
            return new KindTotals(v.total(OutputCheck.KindVerdict::lost), v.total(OutputCheck.KindVerdict::duplicated),
                    v.total(OutputCheck.KindVerdict::sameIdDifferentContent), v.total(OutputCheck.KindVerdict::differsFromBaseline),
                    v.total(OutputCheck.KindVerdict::extra), v.total(OutputCheck.KindVerdict::unreadable));
        }
    }

    private Properties consumerConfig() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "hemastream-verifier");
        p.putAll(consumerProperties);
        return p;
    }

    /** Reads every partition of every topic from the beginning to its end offset (read_committed: the LSO). */
    private int readAll(Map<String, OutputKind> topics, OutputCheck check, long[] firstAfter) {
        int read = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerConfig(), new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = partitionsOf(consumer, topics.keySet());
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            Map<TopicPartition, Long> remaining = new HashMap<>(end);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (!remaining.isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read to the end offsets within 5 minutes: " + remaining.keySet());
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    if (r.offset() >= end.get(tp)) {
                        continue;
                    }
                    read++;
                    OutputKind kind = topics.get(r.topic());
                    if (firstOutputAfter != null && r.timestamp() >= firstOutputAfter) {
                        firstAfter[0] = Math.min(firstAfter[0], r.timestamp());
                    }
                    JsonNode event;
                    try {
                        event = r.value() == null ? null : MAPPER.readTree(r.value());
                    } catch (IOException e) {
                        event = null;
                    }
                    if (event == null || !event.isObject() || OutputKind.ofEventType(event.path("type").asText()) != kind) {
                        check.addUnreadable(kind);
                    } else {
                        check.add(kind, event);
                    }
                }
                remaining.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
            }
        }
        return read;
    }

    private static List<TopicPartition> partitionsOf(KafkaConsumer<?, ?> consumer, Iterable<String> topics) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : topics) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                throw new IllegalStateException("topic " + topic + " does not exist");
            }
            infos.forEach(i -> partitions.add(new TopicPartition(i.topic(), i.partition())));
        }
        return partitions;
    }

    /**
     * Waits until the output topics' end offsets have not moved for {@link #awaitQuietSeconds} and,
     * with {@link #group}, the group's committed offsets have reached the inputs' end offsets — or, when
     * they never do (an open specimen holds a commit back), until the outputs have been still for
     * {@link #awaitStuckSeconds}. Returns the time waited.
     */
    private long awaitQuiet(List<String> outputTopics, PrintWriter err) throws InterruptedException {
        long started = System.currentTimeMillis();
        long deadline = started + awaitTimeoutSeconds * 1000L;
        Map<TopicPartition, Long> lastEnds = Map.of();
        long stillSince = started;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerConfig(), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            while (System.currentTimeMillis() < deadline) {
                Map<TopicPartition, Long> ends;
                try {
                    ends = consumer.endOffsets(partitionsOf(consumer, outputTopics), Duration.ofSeconds(10));
                } catch (KafkaException e) {
                    Thread.sleep(1000);
                    continue;
                }
                long now = System.currentTimeMillis();
                if (!ends.equals(lastEnds)) {
                    lastEnds = ends;
                    stillSince = now;
                }
                long still = now - stillSince;
                if (still >= awaitQuietSeconds * 1000L && (group == null || still >= awaitStuckSeconds * 1000L
                        || groupCaughtUp(consumer, admin))) {
                    return now - started;
                }
                Thread.sleep(1000);
            }
        }
        err.println("verify-outputs: outputs still growing after " + awaitTimeoutSeconds + " s; verifying anyway");
        return System.currentTimeMillis() - started;
    }

    private boolean groupCaughtUp(KafkaConsumer<?, ?> consumer, Admin admin) {
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitionsOf(consumer, inputTopics), Duration.ofSeconds(10));
            for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
                OffsetAndMetadata c = committed.get(e.getKey());
                if (e.getValue() > 0 && (c == null || c.offset() < e.getValue())) {
                    return false;
                }
            }
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
