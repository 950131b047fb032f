package org.hemastream.kafka;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apache Kafka 4.2 broker (KRaft, combined broker + controller) running inside
 * this JVM, for {@code demo}, the {@code broker} command and the tests when no Docker engine exists.
 *
 * <p>It is Apache Kafka's own server, not a fake: storage is formatted with {@code kafka-storage}'s
 * logic ({@link StorageTool}) and the node is a {@link KafkaRaftServer}. It listens only on 127.0.0.1
 * (PLAINTEXT for clients, CONTROLLER for the quorum, and on request a SASL_SSL listener with SCRAM-SHA-512
 * logins for tests of secured clients: {@link Settings#withSaslSsl}), keeps its log in a temporary directory that
 * {@link #close()} deletes — or in a given data directory that it keeps and restarts on, on the same
 * ports (so a broker process can be killed and restarted as a real one would). By default it is a cluster of one
 * and uses replication factor 1 everywhere; with a {@link Quorum} it is one node of a multi-node cluster (in this
 * JVM: {@link #startCluster}; one per process: the {@code broker} command's {@code --node-id --quorum --cluster-id}),
 * replicated as a small production cluster is. It is for development and tests only.
 *
 * <p>Threading: {@link #start} blocks until the broker answers {@code describeCluster} (a few
 * seconds; never call it on an event loop). The accessors are thread-safe. {@link #close()} is
 * idempotent and thread-safe; once any call to it has returned, the ports are released and the log
 * directory is gone.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final String HOST = "127.0.0.1";
    private static final int NODE_ID = 1;
    private static final int BIND_ATTEMPTS = 3;

    /**
     * How to run the embedded broker.
     *
     * @param port             PLAINTEXT port on 127.0.0.1; 0 picks a free one
     * @param numPartitions    partitions of auto-created topics ({@code num.partitions})
     * @param messageMaxBytes  largest record batch the broker accepts ({@code message.max.bytes})
     * @param startTimeout     how long {@link #start} waits for the broker to answer
     * @param overrides        further broker properties, applied last (they win)
     * @param dataDir          where the broker keeps its log and configuration, kept on {@link #close()};
     *                         a directory formatted by an earlier run is restarted on, not reformatted.
     *                         null = a temporary directory deleted on close
     * @param controllerPort   CONTROLLER (KRaft quorum) port on 127.0.0.1; 0 picks a free one, or the
     *                         one an earlier run on {@code dataDir} used
     * @param saslSsl          a SASL_SSL client listener beside the PLAINTEXT one, or null (the default: none)
     * @param quorum           this node's place in a multi-node cluster, or null (the default: a cluster of one)
     */
    public record Settings(int port, int numPartitions, int messageMaxBytes, Duration startTimeout,
                           Map<String, String> overrides, Path dataDir, int controllerPort, SaslSslListener saslSsl,
                           Quorum quorum) {

        /** Kafka's own default for {@code message.max.bytes}: 1 MiB plus record-batch overhead. */
        public static final int DEFAULT_MESSAGE_MAX_BYTES = 1_048_588;

        public Settings {
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("port must be 0 (any free port) or 1..65535, was " + port);
            }
            if (numPartitions < 1) {
                throw new IllegalArgumentException("num.partitions must be >= 1, was " + numPartitions);
            }
            if (messageMaxBytes < 1024) {
                throw new IllegalArgumentException("message.max.bytes must be >= 1024, was " + messageMaxBytes);
            }
            Objects.requireNonNull(startTimeout, "startTimeout");
            if (startTimeout.isNegative() || startTimeout.isZero()) {
                throw new IllegalArgumentException("startTimeout must be positive, was " + startTimeout);
            }
            overrides = Map.copyOf(overrides);
            if (controllerPort < 0 || controllerPort > 65_535) {
                throw new IllegalArgumentException("controller port must be 0 (any free port) or 1..65535, was " + controllerPort);
            }
            if (port != 0 && port == controllerPort) {
                throw new IllegalArgumentException("port and controller port must differ, both were " + port);
            }
            if (quorum != null && controllerPort != 0 && controllerPort != quorum.controllerPort()) {
                throw new IllegalArgumentException("controller port " + controllerPort + " is not node " + quorum.nodeId()
                        + "'s port in the quorum " + quorum.voters());
            }
        }

        public Settings(int port, int numPartitions, int messageMaxBytes, Duration startTimeout,
                        Map<String, String> overrides) {
            this(port, numPartitions, messageMaxBytes, startTimeout, overrides, null, 0, null, null);
        }

        /** Keeps the log in {@code dir} (created if missing) and restarts on it when it was formatted before. */
        public Settings withDataDir(Path dir) {
            return new Settings(port, numPartitions, messageMaxBytes, startTimeout, overrides, dir, controllerPort, saslSsl, quorum);
        }

        public Settings withControllerPort(int newPort) {
            return new Settings(port, numPartitions, messageMaxBytes, startTimeout, overrides, dataDir, newPort, saslSsl, quorum);
        }

        /** Any free port, 3 partitions, Kafka's default message size, 60 s to start. */
        public static Settings defaults() {
            return new Settings(0, 3, DEFAULT_MESSAGE_MAX_BYTES, Duration.ofSeconds(60), Map.of());
        }

        public Settings withPort(int newPort) {
            return new Settings(newPort, numPartitions, messageMaxBytes, startTimeout, overrides, dataDir, controllerPort, saslSsl, quorum);
        }

        public Settings withNumPartitions(int partitions) {
            return new Settings(port, partitions, messageMaxBytes, startTimeout, overrides, dataDir, controllerPort, saslSsl, quorum);
        }

        public Settings withMessageMaxBytes(int bytes) {
            return new Settings(port, numPartitions, bytes, startTimeout, overrides, dataDir, controllerPort, saslSsl, quorum);
        }

        public Settings withStartTimeout(Duration timeout) {
            return new Settings(port, numPartitions, messageMaxBytes, timeout, overrides, dataDir, controllerPort, saslSsl, quorum);
        }

        /** Adds a SASL_SSL (SCRAM-SHA-512) client listener. */
        public Settings withSaslSsl(SaslSslListener listener) {
            return new Settings(port, numPartitions, messageMaxBytes, startTimeout, overrides, dataDir, controllerPort, listener, quorum);
        }

        /** Runs this node as one member of a multi-node cluster ({@link Quorum}). */
        public Settings withQuorum(Quorum newQuorum) {
            return new Settings(port, numPartitions, messageMaxBytes, startTimeout, overrides, dataDir, controllerPort, saslSsl,
                    newQuorum);
        }

        public Settings withOverride(String key, String value) {
            Map<String, String> merged = new HashMap<>(overrides);
            merged.put(key, value);
            return new Settings(port, numPartitions, messageMaxBytes, startTimeout, merged, dataDir, controllerPort, saslSsl, quorum);
        }
    }

    /**
     * One node's place in a multi-node KRaft cluster on 127.0.0.1: every node is broker and controller, the
     * controllers form a static quorum of voters, and all nodes are formatted with the same cluster ID. Replication
     * then follows the size of the cluster — internal topics and topics created without a factor get
     * min(3, voters) replicas and need min(2, that) in sync — so one node can die and clients go on.
     *
     * @param nodeId          this node's {@code node.id}, one of the voters
     * @param controllerPorts node ID → its CONTROLLER port on 127.0.0.1, for every voter
     * @param clusterId       the cluster ID every node is formatted with (Kafka's base64 UUID)
     */
    public record Quorum(int nodeId, Map<Integer, Integer> controllerPorts, String clusterId) {
        public Quorum {
            controllerPorts = Collections.unmodifiableMap(new TreeMap<>(controllerPorts));
            if (!controllerPorts.containsKey(nodeId)) {
                throw new IllegalArgumentException("node " + nodeId + " is not one of the quorum's voters "
                        + controllerPorts.keySet());
            }
            controllerPorts.forEach((id, p) -> {
                if (id < 0 || p < 1 || p > 65_535) {
                    throw new IllegalArgumentException("quorum voter " + id + "@" + HOST + ":" + p
                            + " needs a node ID >= 0 and a port 1..65535");
                }
            });
            if (Set.copyOf(controllerPorts.values()).size() != controllerPorts.size()) {
                throw new IllegalArgumentException("quorum voters must have distinct ports: " + controllerPorts);
            }
            try {
                Uuid.fromString(Objects.requireNonNull(clusterId, "clusterId"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("cluster ID must be a Kafka base64 UUID (22 characters, e.g. "
                        + Uuid.randomUuid() + "), was '" + clusterId + "'", e);
            }
        }

        /**
         * Parses {@code controller.quorum.voters} syntax, {@code 1@127.0.0.1:9093,2@127.0.0.1:9094,...}; the embedded
         * broker listens only on 127.0.0.1, so every voter must be there.
         */
        public static Quorum parse(int nodeId, String voters, String clusterId) {
            Map<Integer, Integer> ports = new TreeMap<>();
            for (String voter : voters.split(",")) {
                String v = voter.strip();
                int at = v.indexOf('@');
                int colon = v.lastIndexOf(':');
                if (at < 1 || colon < at || !v.substring(at + 1, colon).equals(HOST)) {
                    throw new IllegalArgumentException("quorum voter '" + v + "' must look like ID@" + HOST + ":PORT");
                }
                try {
                    if (ports.put(Integer.parseInt(v.substring(0, at)), Integer.parseInt(v.substring(colon + 1))) != null) {
                        throw new IllegalArgumentException("quorum voter ID " + v.substring(0, at) + " appears twice");
                    }
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("quorum voter '" + v + "' must look like ID@" + HOST + ":PORT", e);
                }
            }
            return new Quorum(nodeId, ports, clusterId);
        }

        /** {@code controller.quorum.voters}. */
        public String voters() {
            StringJoiner joined = new StringJoiner(",");
            controllerPorts.forEach((id, p) -> joined.add(id + "@" + HOST + ":" + p));
            return joined.toString();
        }

        /** This node's CONTROLLER port. */
        public int controllerPort() {
            return controllerPorts.get(nodeId);
        }

        /** Replicas of internal topics and of topics created without a factor: min(3, nodes). */
        public int replicationFactor() {
            return Math.min(3, controllerPorts.size());
        }
    }

    /**
     * A client listener that needs TLS and a SCRAM-SHA-512 login, for tests of secured clients. The PLAINTEXT
     * listener stays (the broker's own listener, and how {@link #start} checks that it answers); clients that
     * bootstrap from {@link #saslSslBootstrapServers()} are told only SASL_SSL addresses.
     *
     * @param port             port on 127.0.0.1; 0 picks a free one
     * @param keyStore         PKCS12 key store with the broker's key and certificate (its name must match 127.0.0.1
     *                         for clients that verify host names)
     * @param keyStorePassword of the key store and the key
     * @param scramUsers       user name → password, stored as SCRAM-SHA-512 credentials when the log is formatted
     */
    public record SaslSslListener(int port, Path keyStore, String keyStorePassword, Map<String, String> scramUsers) {
        public SaslSslListener {
            Objects.requireNonNull(keyStore, "keyStore");
            Objects.requireNonNull(keyStorePassword, "keyStorePassword");
            scramUsers = Map.copyOf(scramUsers);
        }

        @Override
        public String toString() {
            return "SaslSslListener[port=" + port + ", keyStore=" + keyStore + ", users=" + scramUsers.keySet() + "]";
        }
    }

    private final KafkaRaftServer server;
    private final Path workDir;
    private final int port;
    private final int saslSslPort;
    private final Duration startupTime;
    private final boolean keepData;
    private final boolean restarted;
    private boolean closed;

    private EmbeddedKafkaBroker(KafkaRaftServer server, Path workDir, int port, int saslSslPort, Duration startupTime,
                                boolean keepData, boolean restarted) {
        this.server = server;
        this.workDir = workDir;
        this.port = port;
        this.saslSslPort = saslSslPort;
        this.startupTime = startupTime;
        this.keepData = keepData;
        this.restarted = restarted;
    }

    /** Starts a broker with {@link Settings#defaults()}. */
    public static EmbeddedKafkaBroker start() {
        return start(Settings.defaults());
    }

    /**
     * Formats a fresh log directory, starts the node and waits until it answers clients.
     *
     * @throws IllegalStateException if storage cannot be formatted or the broker does not answer
     *                               within {@link Settings#startTimeout()}
     */
    public static EmbeddedKafkaBroker start(Settings settings) {
        // Free ports are picked before the broker binds them; another process can take one in
        // between. Retry with new ports on a bind failure (a fixed --port is retried as given).
        for (int attempt = 1; ; attempt++) {
            try {
                return startOnce(settings);
            } catch (IllegalStateException e) {
                if (attempt >= BIND_ATTEMPTS || !causedByBindFailure(e)) {
                    throw e;
                }
                log.warn("embedded Kafka broker could not bind its ports (attempt {} of {}), retrying: {}",
                        attempt, BIND_ATTEMPTS, e.getMessage());
            }
        }
    }

    private static EmbeddedKafkaBroker startOnce(Settings settings) {
        long started = System.nanoTime();
        boolean keepData = settings.dataDir() != null;
        Path workDir = keepData ? createDataDir(settings.dataDir()) : createWorkDir();
        Path configFile = workDir.resolve("server.properties");
        Properties previous = keepData ? previousProperties(configFile) : new Properties();
        // A restart on the same data keeps its address: the ports an earlier run used, unless given.
        int port = settings.port() != 0 ? settings.port() : portOf(previous, "PLAINTEXT", 0);
        port = port == 0 ? freePort() : port;
        boolean restarted = Files.exists(workDir.resolve("logs").resolve("meta.properties"));
        KafkaRaftServer server = null;
        int saslSslPort = -1;
        try {
            int controllerPort = settings.quorum() != null ? settings.quorum().controllerPort()
                    : settings.controllerPort() != 0 ? settings.controllerPort() : portOf(previous, "CONTROLLER", 0);
            controllerPort = controllerPort == 0 ? freePort() : controllerPort;
            if (settings.saslSsl() != null) {
                saslSslPort = settings.saslSsl().port() != 0 ? settings.saslSsl().port() : portOf(previous, "SASL_SSL", 0);
                saslSslPort = saslSslPort == 0 ? freePort() : saslSslPort;
            }
            Properties props = brokerProperties(settings, workDir.resolve("logs"), port, controllerPort, saslSslPort);
            try (OutputStream out = Files.newOutputStream(configFile)) {
                props.store(out, "hemastream embedded Kafka broker");
            }
            if (!restarted) {
                formatStorage(configFile, settings.saslSsl(),
                        settings.quorum() != null ? settings.quorum().clusterId() : Uuid.randomUuid().toString());
            }

            server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
            server.startup();
            String bootstrap = HOST + ":" + port;
            awaitAnswer(bootstrap, settings.quorum() != null ? settings.quorum().controllerPorts().size() : 1,
                    settings.startTimeout());

            Duration startupTime = Duration.ofNanos(System.nanoTime() - started);
            log.info("embedded Kafka broker ready on {} in {} ms (log dir {}, {})",
                    bootstrap, startupTime.toMillis(), workDir,
                    restarted ? "restarted on its earlier data" : keepData ? "new, kept on exit" : "new, deleted on exit");
            return new EmbeddedKafkaBroker(server, workDir, port, saslSslPort, startupTime, keepData, restarted);
        } catch (IOException | RuntimeException e) {
            stopQuietly(server);
            if (!keepData) {
                deleteRecursively(workDir);
            }
            if (e instanceof IllegalStateException ise) {
                throw ise;
            }
            throw new IllegalStateException("embedded Kafka broker on " + HOST + ":" + port
                    + " failed to start: " + e.getMessage(), e);
        }
    }

    static Properties brokerProperties(Settings settings, Path logDir, int port, int controllerPort, int saslSslPort) {
        Properties p = new Properties();
        p.setProperty("process.roles", "broker,controller");
        Quorum quorum = settings.quorum();
        p.setProperty("node.id", Integer.toString(quorum != null ? quorum.nodeId() : NODE_ID));
        p.setProperty("controller.quorum.voters", quorum != null ? quorum.voters() : NODE_ID + "@" + HOST + ":" + controllerPort);
        p.setProperty("listeners", "PLAINTEXT://" + HOST + ":" + port + ",CONTROLLER://" + HOST + ":" + controllerPort);
        p.setProperty("advertised.listeners", "PLAINTEXT://" + HOST + ":" + port);
        p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        if (settings.saslSsl() != null) {
            addSaslSsl(p, settings.saslSsl(), saslSslPort);
        }
        p.setProperty("controller.listener.names", "CONTROLLER");
        p.setProperty("inter.broker.listener.name", "PLAINTEXT");
        p.setProperty("log.dirs", logDir.toString());
        p.setProperty("num.partitions", Integer.toString(settings.numPartitions()));
        p.setProperty("message.max.bytes", Integer.toString(settings.messageMaxBytes()));
        p.setProperty("replica.fetch.max.bytes", Integer.toString(Math.max(1_048_576, settings.messageMaxBytes())));
        // One node: every internal topic must live with replication factor 1. A cluster: min(3, nodes), and
        // min(2, that) in sync, so the consumer offsets and the transaction log survive one node's death.
        String factor = Integer.toString(quorum != null ? quorum.replicationFactor() : 1);
        String minIsr = Integer.toString(quorum != null ? Math.min(2, quorum.replicationFactor()) : 1);
        p.setProperty("default.replication.factor", factor);
        p.setProperty("min.insync.replicas", minIsr);
        p.setProperty("offsets.topic.replication.factor", factor);
        p.setProperty("transaction.state.log.replication.factor", factor);
        p.setProperty("transaction.state.log.min.isr", minIsr);
        p.setProperty("share.coordinator.state.topic.replication.factor", factor);
        p.setProperty("share.coordinator.state.topic.min.isr", minIsr);
        // Fewer internal partitions than the production default of 50: faster first group join.
        p.setProperty("offsets.topic.num.partitions", "5");
        p.setProperty("transaction.state.log.num.partitions", "5");
        p.setProperty("group.initial.rebalance.delay.ms", "0");
        // The log cleaner's dedupe buffer defaults to 128 MiB of heap; the demo shares its heap.
        p.setProperty("log.cleaner.dedupe.buffer.size", Integer.toString(16 * 1024 * 1024));
        settings.overrides().forEach(p::setProperty);
        return p;
    }

    /** The SASL_SSL listener: TLS with the given key store, SCRAM-SHA-512 logins checked against the stored credentials. */
    private static void addSaslSsl(Properties p, SaslSslListener l, int saslSslPort) {
        String address = "SASL_SSL://" + HOST + ":" + saslSslPort;
        p.setProperty("listeners", p.getProperty("listeners") + "," + address);
        p.setProperty("advertised.listeners", p.getProperty("advertised.listeners") + "," + address);
        p.setProperty("listener.security.protocol.map", p.getProperty("listener.security.protocol.map") + ",SASL_SSL:SASL_SSL");
        p.setProperty("sasl.enabled.mechanisms", "SCRAM-SHA-512");
        String prefix = "listener.name.sasl_ssl.";
        p.setProperty(prefix + "scram-sha-512.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        p.setProperty(prefix + "ssl.keystore.type", "PKCS12");
        p.setProperty(prefix + "ssl.keystore.location", l.keyStore().toAbsolutePath().toString());
        p.setProperty(prefix + "ssl.keystore.password", l.keyStorePassword());
        p.setProperty(prefix + "ssl.key.password", l.keyStorePassword());
    }

    private static void formatStorage(Path configFile, SaslSslListener saslSsl, String clusterId) {
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        List<String> args = new ArrayList<>(List.of("format", "--cluster-id", clusterId,
                "--config", configFile.toString()));
        if (saslSsl != null) {
            saslSsl.scramUsers().forEach((user, password) -> {
                args.add("--add-scram");
                args.add("SCRAM-SHA-512=[name=" + user + ",password=" + password + "]");
            });
        }
        int rc;
        try (PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8)) {
            rc = StorageTool.execute(args.toArray(String[]::new), out);
        } catch (Exception e) {
            throw new IllegalStateException("formatting Kafka storage failed: " + e.getMessage()
                    + "; tool output: " + output.toString(StandardCharsets.UTF_8).strip(), e);
        }
        if (rc != 0) {
            throw new IllegalStateException("formatting Kafka storage failed with exit code " + rc
                    + ": " + output.toString(StandardCharsets.UTF_8).strip());
        }
    }

    /** Waits until the broker at {@code bootstrap} reports {@code brokers} live brokers (itself, and a cluster's others). */
    private static void awaitAnswer(String bootstrap, int brokers, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Object> config = Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000,
                AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, 50);
        Exception last = null;
        try (Admin admin = Admin.create(config)) {
            while (System.nanoTime() < deadline) {
                long leftMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
                try {
                    if (admin.describeCluster().nodes().get(Math.min(leftMs, 5_000), TimeUnit.MILLISECONDS).size() >= brokers) {
                        return;
                    }
                    sleep(50);
                } catch (ExecutionException | TimeoutException e) {
                    last = e;
                    sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the embedded Kafka broker", e);
                }
            }
        }
        throw new IllegalStateException("embedded Kafka broker on " + bootstrap + " did not report " + brokers
                + " live broker(s) within " + timeout.toMillis() + " ms" + (last == null ? "" : ": " + last.getMessage()), last);
    }

    /**
     * Starts an {@code nodes}-node cluster in this JVM ({@link Quorum}: free ports, a new cluster ID, each node
     * {@code settings} otherwise) and waits until every node reports all of them live. The nodes start together —
     * none answers before a majority of the quorum is up — and are returned in node ID order (1..nodes); the
     * caller closes them with {@link #closeCluster}. For tests of replication and of a broker's death; {@code settings} must not name ports
     * or a data directory.
     */
    public static List<EmbeddedKafkaBroker> startCluster(int nodes, Settings settings) {
        if (nodes < 1) {
            throw new IllegalArgumentException("a cluster needs at least one node, was " + nodes);
        }
        if (settings.port() != 0 || settings.controllerPort() != 0 || settings.dataDir() != null || settings.saslSsl() != null) {
            throw new IllegalArgumentException("startCluster picks each node's ports and directory itself: " + settings);
        }
        Map<Integer, Integer> controllerPorts = new TreeMap<>();
        for (int id = 1; id <= nodes; id++) {
            controllerPorts.put(id, freePort());
        }
        String clusterId = Uuid.randomUuid().toString();
        ExecutorService starters = Executors.newFixedThreadPool(nodes, r -> new Thread(r, "embedded-kafka-cluster-start"));
        List<Future<EmbeddedKafkaBroker>> starting = new ArrayList<>();
        try {
            for (int id : controllerPorts.keySet()) {
                Settings node = settings.withQuorum(new Quorum(id, controllerPorts, clusterId));
                starting.add(starters.submit(() -> startOnce(node)));
            }
            List<EmbeddedKafkaBroker> started = new ArrayList<>();
            RuntimeException failure = null;
            for (Future<EmbeddedKafkaBroker> f : starting) {
                try {
                    started.add(f.get());
                } catch (ExecutionException e) {
                    failure = failure != null ? failure : new IllegalStateException("embedded Kafka cluster of " + nodes
                            + " nodes failed to start: " + e.getCause().getMessage(), e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    failure = new IllegalStateException("interrupted while starting an embedded Kafka cluster", e);
                }
            }
            if (failure != null) {
                started.forEach(EmbeddedKafkaBroker::close);
                throw failure;
            }
            return List.copyOf(started);
        } finally {
            starters.shutdownNow();
        }
    }

    /**
     * Closes the nodes of a cluster all at once. One after another would leave the last node without a quorum
     * majority, and its controlled shutdown would wait minutes for a controller that can no longer be elected.
     */
    public static void closeCluster(List<EmbeddedKafkaBroker> cluster) {
        List<Thread> closing = new ArrayList<>();
        for (EmbeddedKafkaBroker node : cluster) {
            Thread t = new Thread(node::close, "embedded-kafka-cluster-close");
            t.start();
            closing.add(t);
        }
        for (Thread t : closing) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while closing an embedded Kafka cluster", e);
            }
        }
    }

    /** {@code host:port,...} of every node, for clients' {@code bootstrap.servers}. */
    public static String bootstrapServers(List<EmbeddedKafkaBroker> cluster) {
        StringJoiner joined = new StringJoiner(",");
        cluster.forEach(node -> joined.add(node.bootstrapServers()));
        return joined.toString();
    }

    /** {@code host:port} for clients' {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return HOST + ":" + port;
    }

    /** {@code 127.0.0.1:port} of the SASL_SSL listener ({@link Settings#withSaslSsl}). */
    public String saslSslBootstrapServers() {
        if (saslSslPort < 0) {
            throw new IllegalStateException("this broker has no SASL_SSL listener: start it with Settings.withSaslSsl");
        }
        return HOST + ":" + saslSslPort;
    }

    /** The PLAINTEXT port on 127.0.0.1. */
    public int port() {
        return port;
    }

    /** Wall time from {@link #start} until the broker first answered a client. */
    public Duration startupTime() {
        return startupTime;
    }

    /** Whether this broker started on a data directory formatted by an earlier run. */
    public boolean restarted() {
        return restarted;
    }

    /** The directory holding the broker's log and {@code server.properties}. */
    public Path dataDir() {
        return workDir;
    }

    /**
     * Stops the broker and releases its ports; deletes its log directory unless it was given one
     * ({@link Settings#dataDir()}). Safe to call repeatedly.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        long started = System.nanoTime();
        stopQuietly(server);
        if (!keepData) {
            deleteRecursively(workDir);
        }
        log.info("embedded Kafka broker on {} stopped in {} ms",
                bootstrapServers(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    private static void stopQuietly(KafkaRaftServer server) {
        if (server == null) {
            return;
        }
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (RuntimeException e) {
            log.warn("embedded Kafka broker did not shut down cleanly: {}", e.toString());
        }
    }

    private static boolean causedByBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException || String.valueOf(t.getMessage()).contains("Address already in use")) {
                return true;
            }
        }
        return false;
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on " + HOST, e);
        }
    }

    private static Path createDataDir(Path dir) {
        try {
            return Files.createDirectories(dir).toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the Kafka data directory " + dir, e);
        }
    }

    private static Properties previousProperties(Path configFile) {
        Properties p = new Properties();
        if (Files.exists(configFile)) {
            try (var in = Files.newInputStream(configFile)) {
                p.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + configFile, e);
            }
        }
        return p;
    }

    /** The port of listener {@code name} in an earlier run's {@code listeners}, or {@code fallback}. */
    static int portOf(Properties previous, String name, int fallback) {
        for (String listener : previous.getProperty("listeners", "").split(",")) {
            String prefix = name + "://";
            if (listener.startsWith(prefix)) {
                String address = listener.substring(prefix.length());
                try {
                    return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
                } catch (NumberFormatException e) {
                    return fallback;
                }
            }
        }
        return fallback;
    }

    private static Path createWorkDir() {
        try {
            return Files.createTempDirectory("hemastream-kafka-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory for the embedded Kafka broker", e);
        }
    }

    private static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    log.warn("could not delete {}: {}", path, e.toString());
                }
            });
        } catch (IOException e) {
            log.warn("could not delete the embedded Kafka log directory {}: {}", dir, e.toString());
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the embedded Kafka broker", e);
        }
    }
}
