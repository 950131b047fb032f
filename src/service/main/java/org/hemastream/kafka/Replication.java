package org.hemastream.kafka;

import org.apache.kafka.clients.admin.Admin;

import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * How the topics the service creates are replicated ({@code topics.replicationFactor}): {@code auto} takes
 * min(3, the brokers the cluster reports) — 3 on a production cluster, 1 on a single development broker —
 * and never more than the cluster can honour. {@code min.insync.replicas} is min(2, factor): with 3 replicas a
 * write ({@code acks=all}) survives one broker down; with 2, both must be in sync, so one broker down stops
 * commits (the service goes not-ready and waits, nothing is lost) rather than accepting outputs one disk
 * failure could lose — blast alerts must not vanish after they were acknowledged.
 *
 * @param factor             replicas per partition
 * @param minInsyncReplicas  in-sync replicas an {@code acks=all} write needs
 */
public record Replication(short factor, int minInsyncReplicas) {

    /** What auto picks at most: Kafka's usual production factor. */
    public static final int AUTO_MAX = 3;

    public Replication {
        if (factor < 1) {
            throw new IllegalArgumentException("replication factor must be >= 1, was " + factor);
        }
        if (minInsyncReplicas < 1 || minInsyncReplicas > factor) {
            throw new IllegalArgumentException("min.insync.replicas must be 1.." + factor + ", was " + minInsyncReplicas);
        }
    }

    /** A factor with min.insync.replicas = min(2, factor). */
    public static Replication of(int factor) {
        return new Replication((short) factor, Math.min(2, factor));
    }

    /**
     * The replication for a cluster of {@code brokers} brokers.
     *
     * @param configured the configured factor, or null for auto
     * @throws IllegalStateException naming {@code topics.replicationFactor} when the cluster has fewer brokers
     */
    public static Replication forBrokers(Short configured, int brokers) {
        if (configured == null) {
            return of(Math.max(1, Math.min(AUTO_MAX, brokers)));
        }
        if (configured > brokers) {
            throw new IllegalStateException("topics.replicationFactor " + configured + " cannot be honoured: the cluster reports "
                    + brokers + " broker(s); set it to at most " + brokers + " or to auto");
        }
        return of(configured);
    }

    /** Asks the cluster how many brokers it has, then {@link #forBrokers}. Blocking. */
    public static Replication forCluster(Admin admin, Short configured, long timeoutMillis)
            throws ExecutionException, InterruptedException, TimeoutException {
        int brokers = admin.describeCluster().nodes().get(timeoutMillis, TimeUnit.MILLISECONDS).size();
        return forBrokers(configured, brokers);
    }

    /** The topic configuration that goes with it. */
    public Map<String, String> topicConfigs() {
        return Map.of("min.insync.replicas", Integer.toString(minInsyncReplicas));
    }

    @Override
    public String toString() {
        return "replication factor " + factor + ", min.insync.replicas " + minInsyncReplicas;
    }
}
