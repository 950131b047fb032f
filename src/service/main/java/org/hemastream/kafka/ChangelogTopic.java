package org.hemastream.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The state changelog ({@code hema.specimen-state}): compacted, keyed by specimen ID, with exactly as
 * many partitions as the input topics — partition <i>i</i> holds the open specimens (and closed markers)
 * of input partition <i>i</i>, so an instance assigned input partition <i>i</i> restores from changelog
 * partition <i>i</i> alone. Blocking: start-up only.
 */
public final class ChangelogTopic {

    private static final Logger log = LoggerFactory.getLogger(ChangelogTopic.class);

    private ChangelogTopic() {
    }

    /** The partition count, waiting for a just-created topic's metadata to reach the broker answering. */
    private static int describe(Admin admin, String name) throws InterruptedException, ExecutionException,
            java.util.concurrent.TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                return admin.describeTopics(List.of(name)).allTopicNames().get(30, TimeUnit.SECONDS).get(name)
                        .partitions().size();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException)
                        || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    /**
     * Creates the topic when missing; refuses to go on when it exists with another partition count than
     * the inputs (state would be restored from the wrong partition).
     */
    public static void ensure(Admin admin, String name, int partitions, Replication replication, int maxMessageBytes) {
        try {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            if (!existing.contains(name)) {
                NewTopic topic = new NewTopic(name, partitions, replication.factor()).configs(Map.of(
                        "min.insync.replicas", String.valueOf(replication.minInsyncReplicas()),
                        "cleanup.policy", "compact",
                        "max.message.bytes", String.valueOf(maxMessageBytes),
                        "min.compaction.lag.ms", "0",
                        // small, hourly segments: only closed segments are compacted, and a restore reads what is left
                        "segment.bytes", String.valueOf(64 * 1024 * 1024),
                        "segment.ms", String.valueOf(3_600_000)));
                try {
                    admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
                    log.info("created state changelog {} ({} partitions, compacted, {})", name, partitions, replication);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
            int actual = describe(admin, name);
            if (actual != partitions) {
                throw new IllegalStateException("state changelog " + name + " has " + actual + " partitions but the input "
                        + "topics have " + partitions + "; they must match (partition i holds the state of input partition i)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking " + name, e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("cannot create or describe the state changelog " + name + ": " + e, e);
        }
    }
}
