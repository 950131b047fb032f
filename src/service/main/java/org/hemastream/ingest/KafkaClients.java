package org.hemastream.ingest;

import org.hemastream.config.ServiceConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;

/**
 * The settings of every Kafka client of an instance, from the configuration ({@code kafka.*} passes
 * through — TLS, SASL and the config providers that keep their secrets in files or the environment — to each
 * of them alike; what the guarantees depend on is fixed here).
 * <ul>
 *   <li>group consumer: auto-commit off, {@code read_committed}, a new group from the earliest offsets,
 *       static membership ({@code group.instance.id} = {@code instance.id}), and an assignor that keeps
 *       partition <i>i</i> of both input topics on one instance: {@value #CO_PARTITION_ASSIGNOR}
 *       (cooperative, sticky) when it is on the class path, else the range assignor (eager);</li>
 *   <li>producer: idempotent, {@code acks=all}; under {@code exactly_once} transactional with
 *       {@code transactional.id} = {@code hemastream-<group>-<instance.id>}, stable across restarts so a
 *       restarted instance fences its zombie;</li>
 *   <li>restore consumer: no group, {@code read_committed}, for reading the state changelog;</li>
 *   <li>admin: checks and creates the topics at start-up.</li>
 * </ul>
 */
public final class KafkaClients {

    /** The cooperative, co-partition-preserving assignor (built on the {@code faults} branch). */
    public static final String CO_PARTITION_ASSIGNOR = "org.hemastream.kafka.CoPartitionAssignor";
    /** Largest changelog / output record (a specimen's state with thousands of cell results). */
    public static final int MAX_RECORD_BYTES = 16 * 1024 * 1024;

    private static final Logger log = LoggerFactory.getLogger(KafkaClients.class);

    private final ServiceConfig config;
    private final String assignor;

    public KafkaClients(ServiceConfig config) {
        this.config = config;
        String explicit = config.kafka().clientSettings().get("partition.assignment.strategy");
        this.assignor = explicit != null ? explicit : defaultAssignor();
    }

    /** The co-partition assignor when present, else range (eager: every rebalance revokes everything). */
    static String defaultAssignor() {
        try {
            Class.forName(CO_PARTITION_ASSIGNOR, false, KafkaClients.class.getClassLoader());
            return CO_PARTITION_ASSIGNOR;
        } catch (ClassNotFoundException e) {
            // TODO(faults branch): remove the fallback once org.hemastream.kafka.CoPartitionAssignor is merged.
            log.info("{} not on the class path: range assignment (eager rebalances)", CO_PARTITION_ASSIGNOR);
            return "org.apache.kafka.clients.consumer.RangeAssignor";
        }
    }

    public String assignor() {
        return assignor;
    }

    private Map<String, Object> common() {
        Map<String, Object> props = new HashMap<>(config.kafka().clientSettings());
        props.put("bootstrap.servers", config.kafka().bootstrapServers());
        return props;
    }

    public Map<String, Object> consumer() {
        Map<String, Object> props = common();
        props.put("group.id", config.kafka().groupId());
        props.put("group.instance.id", config.processing().instanceId());
        props.put("enable.auto.commit", "false");
        props.put("isolation.level", "read_committed");
        props.putIfAbsent("auto.offset.reset", "earliest");
        props.put("partition.assignment.strategy", assignor);
        props.putIfAbsent("max.poll.records", "200");
        props.putIfAbsent("client.id", "hemastream-ingest-" + config.processing().instanceId());
        props.putIfAbsent("max.partition.fetch.bytes", String.valueOf(Math.max(1_048_576, config.deadLetters().maxMessageBytes())));
        return props;
    }

    public Map<String, Object> producer() {
        Map<String, Object> props = common();
        props.remove("group.id");
        props.remove("group.instance.id");
        props.put("key.serializer", "org.apache.kafka.common.serialization.StringSerializer");
        props.put("value.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
        props.put("acks", "all");
        props.put("enable.idempotence", "true");
        props.putIfAbsent("linger.ms", "2");
        props.putIfAbsent("client.id", "hemastream-publisher-" + config.processing().instanceId());
        props.put("max.request.size", String.valueOf(Math.max(MAX_RECORD_BYTES, config.deadLetters().maxMessageBytes() + 4096)));
        if (config.processing().guarantee() == ServiceConfig.Guarantee.EXACTLY_ONCE) {
            props.put("transactional.id", config.processing().transactionalId(config.kafka().groupId()));
        }
        return props;
    }

    /**
     * The admin client that checks and creates the topics at start-up: an attempt gives up after 15 s (the
     * service retries) rather than Kafka's default minute.
     */
    public Map<String, Object> admin() {
        Map<String, Object> props = common();
        props.remove("group.id");
        props.remove("group.instance.id");
        props.remove("partition.assignment.strategy");
        props.putIfAbsent("default.api.timeout.ms", "15000");
        try { // Kafka refuses a request timeout above the API timeout
            long apiTimeout = Long.parseLong(String.valueOf(props.get("default.api.timeout.ms")).trim());
            props.putIfAbsent("request.timeout.ms", String.valueOf(Math.min(10_000, apiTimeout)));
        } catch (NumberFormatException e) {
            // a config-provider reference: Kafka resolves it and keeps its own request timeout
        }
        props.putIfAbsent("client.id", "hemastream-admin-" + config.processing().instanceId());
        return props;
    }

    public Map<String, Object> restore() {
        Map<String, Object> props = common();
        props.remove("group.id");
        props.remove("group.instance.id");
        props.remove("partition.assignment.strategy");
        props.put("enable.auto.commit", "false");
        props.put("isolation.level", "read_committed");
        props.put("max.partition.fetch.bytes", String.valueOf(MAX_RECORD_BYTES));
        props.put("client.id", "hemastream-restore-" + config.processing().instanceId());
        return props;
    }
}
