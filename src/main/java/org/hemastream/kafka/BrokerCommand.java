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
 * shutdown hook stops the broker and deletes its data: nothing survives a restart.
 */
@Command(name = "broker", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a single-node Apache Kafka broker (KRaft) in this JVM on 127.0.0.1, "
                + "with hemastream's topics, until Ctrl-C or SIGTERM.",
                "Prints one line to stdout: bootstrap.servers=<host:port>. Data is deleted on exit."})
public final class BrokerCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(BrokerCommand.class);

    @Spec
    CommandSpec spec;

    @Option(names = "--partitions", defaultValue = "3",
            description = "Partitions of each hemastream topic (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--port", defaultValue = "0",
            description = "PLAINTEXT port on 127.0.0.1; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--message-max-bytes", defaultValue = "" + EmbeddedKafkaBroker.Settings.DEFAULT_MESSAGE_MAX_BYTES,
            description = "Largest record batch the broker accepts, bytes (default: ${DEFAULT-VALUE}).")
    int messageMaxBytes;

    @Override
    public Integer call() throws InterruptedException {
        if (partitions < 1) {
            throw new ParameterException(spec.commandLine(),
                    "--partitions must be >= 1, was " + partitions);
        }
        EmbeddedKafkaBroker.Settings settings = EmbeddedKafkaBroker.Settings.defaults()
                .withPort(port)
                .withNumPartitions(partitions)
                .withMessageMaxBytes(messageMaxBytes);
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(settings);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("stopping the broker");
            broker.close();
            stopped.countDown();
        }, "hemastream-broker-shutdown"));

        Topics topics = Topics.defaults();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            topics.ensureTopics(admin, partitions, (short) 1);
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
}
