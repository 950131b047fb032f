package org.hemastream.kafka;

import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * JUnit 5 extension that gives tests a real Kafka broker: a {@link KafkaBroker} parameter on a test
 * method, constructor or lifecycle method.
 *
 * <p>One broker serves the whole test run. It starts when a test first asks for it and is kept in
 * the root {@link ExtensionContext.Store}, which closes it when the run ends. It is Testcontainers'
 * Kafka ({@code apache/kafka}) when a Docker engine answers, otherwise an in-JVM
 * {@link EmbeddedKafkaBroker}. The system property {@code hemastream.test.kafka} forces a choice
 * ({@code embedded} or {@code testcontainers}); {@code hemastream.test.kafka.image} picks the image.
 *
 * <p>Thread-safe: the store creates the broker at most once even when tests run in parallel.
 */
public final class KafkaBrokerExtension implements ParameterResolver {

    private static final Logger log = LoggerFactory.getLogger(KafkaBrokerExtension.class);
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(KafkaBrokerExtension.class);
    private static final String DEFAULT_IMAGE = "apache/kafka:4.2.0";

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == KafkaBroker.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return extensionContext.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(SharedBroker.class, key -> SharedBroker.start(), SharedBroker.class);
    }

    /** The run's broker; JUnit closes it (as an AutoCloseable store value) after the last test. */
    private static final class SharedBroker implements KafkaBroker, AutoCloseable {

        private static final AtomicInteger topicCounter = new AtomicInteger();
        private final String bootstrapServers;
        private final String kind;
        private final AutoCloseable resource;
        private final String runId = UUID.randomUUID().toString().substring(0, 8);

        private SharedBroker(String bootstrapServers, String kind, AutoCloseable resource) {
            this.bootstrapServers = bootstrapServers;
            this.kind = kind;
            this.resource = resource;
        }

        static SharedBroker start() {
            String forced = System.getProperty("hemastream.test.kafka", "").toLowerCase(Locale.ROOT);
            boolean useDocker = switch (forced) {
                case "embedded" -> false;
                case "testcontainers" -> true;
                case "" -> DockerClientFactory.instance().isDockerAvailable();
                default -> throw new IllegalArgumentException(
                        "hemastream.test.kafka must be 'embedded' or 'testcontainers', was '" + forced + "'");
            };
            return useDocker ? startContainer() : startEmbedded();
        }

        private static SharedBroker startEmbedded() {
            EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start();
            log.info("tests use an embedded Kafka broker on {} (started in {} ms; no Docker engine)",
                    broker.bootstrapServers(), broker.startupTime().toMillis());
            return new SharedBroker(broker.bootstrapServers(), "embedded", broker);
        }

        private static SharedBroker startContainer() {
            String image = System.getProperty("hemastream.test.kafka.image", DEFAULT_IMAGE);
            long started = System.nanoTime();
            KafkaContainer container = new KafkaContainer(DockerImageName.parse(image));
            container.start();
            log.info("tests use Testcontainers' Kafka {} on {} (started in {} ms)", image,
                    container.getBootstrapServers(), (System.nanoTime() - started) / 1_000_000);
            return new SharedBroker(container.getBootstrapServers(), "testcontainers", container::stop);
        }

        @Override
        public String bootstrapServers() {
            return bootstrapServers;
        }

        @Override
        public String kind() {
            return kind;
        }

        @Override
        public String freshTopic(String prefix) {
            return prefix + "-" + runId + "-" + topicCounter.incrementAndGet();
        }

        @Override
        public void close() throws Exception {
            resource.close();
        }
    }
}
