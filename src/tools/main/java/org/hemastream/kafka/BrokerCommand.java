package org.hemastream.kafka;

import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code hemastream broker}: runs an {@link EmbeddedKafkaBroker} on 127.0.0.1 with hemastream's
 * topics until the process is stopped (SIGTERM or Ctrl-C), for trying the service, the simulator
 * and {@code kcat} against a real broker without installing Kafka.
 *
 * <p>Standard output carries exactly one line, {@code bootstrap.servers=<host:port>}, once the
 * broker answers and the topics exist, so scripts can read it; logs go to standard error. A
 * shutdown hook stops the broker. Without {@code --data-dir} its data is deleted on exit; with it the
 * data is kept, and a broker started again on that directory (after a stop or a {@code kill -9})
 * restarts on its own log at the same address — what the fault suite needs to take a broker away
 * and bring it back.
 *
 * <p>With {@code --node-id}, {@code --quorum} and {@code --cluster-id} the process is one node of a multi-node
 * cluster ({@link EmbeddedKafkaBroker.Quorum}); it prints its line once all the quorum's nodes are live and the
 * topics exist with min(3, nodes) replicas — what the fault suite needs to kill a broker for good.
 */
@Command(name = "broker", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a single-node Apache Kafka broker (KRaft) in this JVM on 127.0.0.1, "
                + "with hemastream's topics, until Ctrl-C or SIGTERM.",
                "Prints one line to stdout: bootstrap.servers=<host:port>.",
                "Data is deleted on exit, unless --data-dir is given: then it is kept, and a broker started again on the "
                        + "same directory restarts on its data, on the ports the earlier run used.",
                "With --node-id, --quorum and --cluster-id: one node of a multi-node cluster (start every node; each "
                        + "prints its line once all are live)."})
public final class BrokerCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(BrokerCommand.class);

    @Spec
    CommandSpec spec;

    @Option(names = "--partitions", defaultValue = "3",
            description = "Partitions of each hemastream topic (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--port", defaultValue = "0",
            description = "PLAINTEXT port on 127.0.0.1; 0 picks a free one, or reuses the one an earlier run on "
                    + "--data-dir used (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--controller-port", defaultValue = "0",
            description = "CONTROLLER (KRaft quorum) port on 127.0.0.1; 0 picks a free one, or reuses the one "
                    + "an earlier run on --data-dir used (default: ${DEFAULT-VALUE}).")
    int controllerPort;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Keep the broker's log and configuration in DIR and keep them on exit; "
                    + "restart on them when DIR holds an earlier run's data (default: a temporary directory, deleted).")
    java.nio.file.Path dataDir;

    @Option(names = "--message-max-bytes", defaultValue = "" + EmbeddedKafkaBroker.Settings.DEFAULT_MESSAGE_MAX_BYTES,
            description = "Largest record batch the broker accepts, bytes (default: ${DEFAULT-VALUE}).")
    int messageMaxBytes;

    @Option(names = "--node-id", description = "This node's ID in a multi-node cluster (needs --quorum and --cluster-id).")
    Integer nodeId;

    @Option(names = "--quorum", paramLabel = "ID@127.0.0.1:PORT,...",
            description = "Every node's CONTROLLER address, as Kafka's controller.quorum.voters; this node's entry sets its "
                    + "controller port.")
    String quorum;

    @Option(names = "--cluster-id", paramLabel = "UUID",
            description = "Cluster ID, the same on every node (Kafka's base64 UUID, e.g. from kafka-storage random-uuid).")
    String clusterId;

    @Override
    public Integer call() throws InterruptedException {
        if (partitions < 1) {
            throw new ParameterException(spec.commandLine(),
                    "--partitions must be >= 1, was " + partitions);
        }
        EmbeddedKafkaBroker.Settings settings = EmbeddedKafkaBroker.Settings.defaults()
                .withPort(port)
                .withNumPartitions(partitions)
                .withMessageMaxBytes(messageMaxBytes)
                .withControllerPort(controllerPort)
                .withDataDir(dataDir);
        EmbeddedKafkaBroker.Quorum cluster = quorum();
        if (cluster != null) {
            settings = settings.withQuorum(cluster);
        }
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(settings);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("stopping the broker");
            broker.close();
            stopped.countDown();
        }, "hemastream-broker-shutdown"));

        Topics topics = Topics.defaults();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            topics.ensureTopics(admin, partitions, Replication.of(cluster == null ? 1 : cluster.replicationFactor()));
        } catch (RuntimeException e) {
            broker.close(); // its threads are not daemons: they would keep the JVM alive
            throw e;
        }
        log.info("broker ready with topics {} ({} partitions each); Ctrl-C stops it", topics.all(), partitions);

        PrintWriter out = spec.commandLine().getOut();
        out.println("bootstrap.servers=" + broker.bootstrapServers());
        out.flush();
        stopped.await();
        return 0;
    }

    private EmbeddedKafkaBroker.Quorum quorum() {
        if (nodeId == null && quorum == null && clusterId == null) {
            return null;
        }
        if (nodeId == null || quorum == null || clusterId == null) {
            throw new ParameterException(spec.commandLine(), "--node-id, --quorum and --cluster-id go together");
        }
        if (controllerPort != 0) {
            throw new ParameterException(spec.commandLine(), "--controller-port: with --quorum, this node's entry there sets it");
        }
        try {
            return EmbeddedKafkaBroker.Quorum.parse(nodeId, quorum, clusterId);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--quorum/--node-id/--cluster-id: " + e.getMessage());
        }
    }
}
