package org.hemastream.kafka;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * The test run's one real Kafka broker, as tests see it: where it listens and how to get topic
 * names no other test uses. Injected by {@link KafkaBrokerExtension}; shared by all tests, so a
 * test creates its own topics and never deletes or reconfigures anyone else's. Thread-safe.
 */
public interface KafkaBroker {

    /** {@code host:port} for clients' {@code bootstrap.servers}. */
    String bootstrapServers();

    /** {@code "embedded"} or {@code "testcontainers"}: which kind of broker this run uses. */
    String kind();

    /** A topic name unique within this test run, starting with {@code prefix}; nothing is created. */
    String freshTopic(String prefix);

    /** A new admin client for this broker; the caller closes it. */
    default Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
    }

    /** Creates a fresh topic with {@code partitions} partitions (replication factor 1) and returns its name. */
    default String createTopic(String prefix, int partitions) {
        String name = freshTopic(prefix);
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1)))
                    .all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create test topic " + name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating test topic " + name, e);
        }
        return name;
    }
}
