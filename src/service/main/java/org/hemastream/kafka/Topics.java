package org.hemastream.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * hemastream's Kafka topics — two inputs from the laboratory, four outputs of the streaming service, and the
 * review server's decisions — and their administration at start-up.
 *
 * <p>The two input topics are both keyed by specimen ID and must have the same partition count: the
 * consumer's range assignment puts partition <i>i</i> of both on the same instance, which is how one
 * instance sees a specimen's CBC result and its cell images (co-partitioning, see DESIGN.md).
 * {@link #ensureTopics} refuses to go on when that does not hold.
 *
 * <p>Topic names are configurable (a site may prefix them); the defaults are those of DESIGN.md.
 * This type uses the plain Kafka {@link Admin} and blocks: call it at start-up from a worker
 * thread or {@code main}, never from an event loop. The record itself is immutable and thread-safe.
 *
 * @param cbcResults       input: CBC results from the analyzer
 * @param cellCaptures     input: cell images and slide-complete markers
 * @param cellResults      output: per-cell class probabilities and characteristics
 * @param blastAlerts      output: blast alerts (preliminary and final)
 * @param diagnosticScores output: diagnostic scores
 * @param deadLetters      output: records that could not be processed
 * @param alertReviews     review decisions (append-only audit trail, key = specimenId), written by the review server
 */
public record Topics(String cbcResults, String cellCaptures, String cellResults, String blastAlerts,
                     String diagnosticScores, String deadLetters, String alertReviews) {

    private static final Logger log = LoggerFactory.getLogger(Topics.class);
    private static final Pattern LEGAL_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    public Topics {
        Map<String, String> byRole = new LinkedHashMap<>();
        byRole.put("cbcResults", cbcResults);
        byRole.put("cellCaptures", cellCaptures);
        byRole.put("cellResults", cellResults);
        byRole.put("blastAlerts", blastAlerts);
        byRole.put("diagnosticScores", diagnosticScores);
        byRole.put("deadLetters", deadLetters);
        byRole.put("alertReviews", alertReviews);
        Set<String> seen = new HashSet<>();
        byRole.forEach((role, name) -> {
            if (name == null || !LEGAL_NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
                throw new IllegalArgumentException("topic name for " + role
                        + " must be 1..249 characters of [a-zA-Z0-9._-], was '" + name + "'");
            }
            if (!seen.add(name)) {
                throw new IllegalArgumentException("topic name '" + name + "' is used twice; each role needs its own topic");
            }
        });
    }

    /** The names of DESIGN.md. */
    public static Topics defaults() {
        return new Topics("lab.cbc.results", "lab.cell.captures", "hema.cell-results", "hema.blast-alerts",
                "hema.diagnostic-scores", "hema.dead-letters", "hema.alert-reviews");
    }

    /** The two co-partitioned input topics, CBC results first. */
    public List<String> inputs() {
        return List.of(cbcResults, cellCaptures);
    }

    /** The four topics hemastream writes. */
    public List<String> outputs() {
        return List.of(cellResults, blastAlerts, diagnosticScores, deadLetters);
    }

    /** Inputs, outputs, then the review decisions. */
    public List<String> all() {
        List<String> all = new ArrayList<>(inputs());
        all.addAll(outputs());
        all.add(alertReviews);
        return List.copyOf(all);
    }

    /**
     * What {@link #ensureTopics} found and did.
     *
     * @param created    topics this call created (empty when all existed already)
     * @param partitions partition count of every hemastream topic, in {@link #all()} order
     */
    public record Ensured(Set<String> created, Map<String, Integer> partitions) {
        public Ensured {
            created = Set.copyOf(created);
            partitions = Collections.unmodifiableMap(new LinkedHashMap<>(partitions));
        }
    }

    /** {@link #ensureTopics(Admin, int, Replication, Duration)} with a 30 s timeout. */
    public Ensured ensureTopics(Admin admin, int partitions, short replicationFactor) {
        return ensureTopics(admin, partitions, Replication.of(replicationFactor), DEFAULT_TIMEOUT);
    }

    /** {@link #ensureTopics(Admin, int, Replication, Duration)} with a 30 s timeout. */
    public Ensured ensureTopics(Admin admin, int partitions, Replication replication) {
        return ensureTopics(admin, partitions, replication, DEFAULT_TIMEOUT);
    }

    /**
     * Creates the topics that do not exist yet, with {@code partitions} partitions and the given
     * replication (factor and {@code min.insync.replicas}); existing topics are left as they are (a warning
     * names those with fewer replicas). Idempotent, and safe when several instances start at once (a topic
     * created concurrently counts as existing).
     *
     * @throws IllegalStateException if the two input topics end up with different partition counts,
     *                               naming both topics and both counts, or if the cluster does not
     *                               answer within {@code timeout}
     */
    public Ensured ensureTopics(Admin admin, int partitions, Replication replication, Duration timeout) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1, was " + partitions);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        Set<String> existing = call(() -> admin.listTopics().names(), deadline, "list topics");
        List<NewTopic> missing = all().stream()
                .filter(name -> !existing.contains(name))
                .map(name -> new NewTopic(name, partitions, replication.factor()).configs(replication.topicConfigs()))
                .toList();
        Set<String> created = new TreeSet<>();
        if (!missing.isEmpty()) {
            CreateTopicsResult result = admin.createTopics(missing);
            result.values().forEach((name, future) -> {
                try {
                    call(() -> future, deadline, "create topic " + name);
                    created.add(name);
                } catch (IllegalStateException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                    log.info("topic {} already exists (created meanwhile)", name);
                }
            });
            if (!created.isEmpty()) {
                log.info("created topics {} with {} partitions, {}", created, partitions, replication);
            }
        }

        Map<String, TopicDescription> descriptions = describe(admin, deadline);
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String name : all()) {
            TopicDescription d = descriptions.get(name);
            counts.put(name, d.partitions().size());
            int replicas = d.partitions().get(0).replicas().size();
            if (replicas < replication.factor()) {
                log.warn("topic {} exists with replication factor {}, below the {} this cluster supports: Kafka keeps it so "
                        + "(raise it with kafka-reassign-partitions)", name, replicas, replication.factor());
            }
        }
        counts.forEach((name, count) -> {
            if (count != partitions && !created.contains(name)) {
                log.info("topic {} exists with {} partitions (requested {}); left unchanged", name, count, partitions);
            }
        });
        int cbc = counts.get(cbcResults);
        int captures = counts.get(cellCaptures);
        if (cbc != captures) {
            throw new IllegalStateException("input topics are not co-partitioned: " + cbcResults + " has " + cbc
                    + " partitions but " + cellCaptures + " has " + captures
                    + "; both are keyed by specimen ID and must have the same partition count");
        }
        return new Ensured(created, counts);
    }

    private Map<String, TopicDescription> describe(Admin admin, long deadline) {
        // Right after creation the broker's metadata may lag the controller's for a moment.
        while (true) {
            try {
                return call(() -> admin.describeTopics(all()).allTopicNames(), deadline, "describe topics");
            } catch (IllegalStateException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
                    throw e;
                }
                sleep(50);
            }
        }
    }

    @FunctionalInterface
    private interface AdminCall<T> {
        KafkaFuture<T> start();
    }

    /** Waits for one admin call; failures become IllegalStateException with Kafka's cause kept. */
    private static <T> T call(AdminCall<T> call, long deadline, String what) {
        long leftMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
        try {
            return call.start().get(leftMs, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot " + what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("cannot " + what + ": no answer from Kafka in time", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while trying to " + what, e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for topic metadata", e);
        }
    }
}
