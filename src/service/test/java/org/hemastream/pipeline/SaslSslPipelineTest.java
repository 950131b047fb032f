package org.hemastream.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.hemastream.HemastreamService;
import org.hemastream.config.ServiceConfig;
import org.hemastream.config.Settings;
import org.hemastream.kafka.EmbeddedKafkaBroker;
import org.hemastream.testsupport.LogCapture;
import org.hemastream.testsupport.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The real service against a broker that only lets clients in over TLS with a SCRAM-SHA-512 login: certificates
 * generated for the test, credentials stored in the broker, the service's Kafka secrets (its SASL login and the
 * trust store's password) in a file read by Kafka's {@code FileConfigProvider} — never in the configuration
 * itself — and the security protocol from the environment. Events in, results and a blast alert out, read back
 * over SASL_SSL; no secret and no specimen ID in any log line.
 */
class SaslSslPipelineTest {

    private final ObjectMapper mapper = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void theServiceWorksEndToEndOverSaslSslWithScramSecretsFromAConfigProviderFile() throws Exception {
        String storePassword = "store-" + UUID.randomUUID();
        String servicePassword = "service-" + UUID.randomUUID();
        String analyzerPassword = "analyzer-" + UUID.randomUUID();
        String specimen = "SASL-AML-" + UUID.randomUUID().toString().substring(0, 8);
        TestCertificates certs = TestCertificates.generate(dir, storePassword);
        try (LogCapture logs = new LogCapture();
             EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Settings.defaults()
                     .withSaslSsl(new EmbeddedKafkaBroker.SaslSslListener(0, certs.keyStore(), storePassword,
                             Map.of("hemastream", servicePassword, "analyzer", analyzerPassword))))) {
            Path secrets = dir.resolve("kafka-secrets.properties");
            Files.writeString(secrets, "sasl.jaas.config=" + jaas("hemastream", servicePassword) + "\n"
                    + "ssl.truststore.password=" + storePassword + "\n");
            String fromFile = "${file:" + secrets + ":";
            Path configFile = dir.resolve("hemastream.properties");
            Files.writeString(configFile, String.join("\n",
                    "kafka.bootstrap.servers=" + broker.saslSslBootstrapServers(),
                    "kafka.ssl.truststore.location=" + certs.trustStore(),
                    "kafka.ssl.truststore.type=PKCS12",
                    "kafka.config.providers=file",
                    "kafka.config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider",
                    "kafka.sasl.jaas.config=" + fromFile + "sasl.jaas.config}",
                    "kafka.ssl.truststore.password=" + fromFile + "ssl.truststore.password}",
                    "topics.partitions=2", "http.port=0", "http.host=127.0.0.1", "flow.commitIntervalMillis=200", ""));
            Settings settings = Settings.load(configFile, Map.of("HEMASTREAM_KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                    "HEMASTREAM_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"), Map.of());
            ServiceConfig config = ServiceConfig.from(settings);
            assertThat(config.kafka().clientSettings()).containsEntry("security.protocol", "SASL_SSL")
                    .containsEntry("sasl.mechanism", "SCRAM-SHA-512");
            assertThat(config.kafka().clientSettings().toString()).as("the configuration holds references, not secrets")
                    .doesNotContain(servicePassword).doesNotContain(storePassword);

            Vertx vertx = Vertx.vertx();
            HemastreamService service = HemastreamService.start(vertx, config).await(120, TimeUnit.SECONDS);
            List<TestCells.Cell> cells = new ArrayList<>(TestCells.labelled("blast", "DeepAPL"));
            cells.addAll(TestCells.labelled("lymphocyte", "DeepAPL"));
            List<JsonNode> alerts = new ArrayList<>();
            int cellResults = 0;
            try {
                Map<String, Object> analyzer = client(broker, certs, "analyzer", analyzerPassword);
                try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(analyzer, new StringSerializer(),
                        new ByteArraySerializer())) {
                    ServiceConfig.TopicsConfig t = config.topics();
                    RawSpecimen.send(producer, t, specimen, cells);
                }
                Map<String, Object> reader = new HashMap<>(analyzer);
                reader.put("group.id", "sasl-reader");
                reader.put("auto.offset.reset", "earliest");
                reader.put("isolation.level", "read_committed");
                try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(reader, new StringDeserializer(),
                        new ByteArrayDeserializer())) {
                    consumer.subscribe(List.of(config.topics().blastAlerts(), config.topics().cellResults()));
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                    while (System.nanoTime() < deadline
                            && alerts.stream().noneMatch(a -> a.get("stage").asText().equals("final"))) {
                        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                            if (r.topic().equals(config.topics().blastAlerts())) {
                                alerts.add(mapper.readTree(r.value()));
                            } else {
                                cellResults++;
                            }
                        }
                    }
                }
            } finally {
                service.stop().await(30, TimeUnit.SECONDS);
                vertx.close().await(10, TimeUnit.SECONDS);
            }
            JsonNode fin = alerts.stream().filter(a -> a.get("stage").asText().equals("final")).findFirst()
                    .orElseThrow(() -> new AssertionError("no final blast alert read back over SASL_SSL; alerts: " + alerts));
            assertThat(fin.get("specimenId").asText()).as("outputs keep the real ID").isEqualTo(specimen);
            assertThat(fin.get("classifiedCells").asInt()).isEqualTo(cells.size());
            assertThat(fin.get("blastCount").asInt() + fin.get("promyelocyteCount").asInt()).isPositive();
            assertThat(cellResults).isEqualTo(cells.size());

            try (Admin intruder = Admin.create(client(broker, certs, "analyzer", "not-the-password"))) {
                assertThatThrownBy(() -> intruder.describeCluster().nodes().get(60, TimeUnit.SECONDS))
                        .hasCauseInstanceOf(SaslAuthenticationException.class);
            }
            // A refused login is not retried: start-up stops with one line that says so and where.
            Files.writeString(secrets, "sasl.jaas.config=" + jaas("hemastream", "not-the-password") + "\n"
                    + "ssl.truststore.password=" + storePassword + "\n");
            Vertx again = Vertx.vertx();
            try {
                assertThatThrownBy(() -> HemastreamService.start(again, config).await(120, TimeUnit.SECONDS))
                        .hasMessageContaining("Kafka at " + broker.saslSslBootstrapServers())
                        .hasMessageContaining("authentication refused");
            } finally {
                again.close().await(10, TimeUnit.SECONDS);
            }
            assertThat(logs.lines()).as("log lines with a secret")
                    .noneMatch(l -> l.contains(servicePassword) || l.contains(storePassword) || l.contains(analyzerPassword));
            assertThat(logs.lines()).as("log lines naming the specimen").noneMatch(l -> l.contains(specimen));
            assertThat(logs.lines()).as("the alert is logged under a pseudonym")
                    .anyMatch(l -> l.matches(".*blast alert final specimen id:[0-9a-f]{12}.*"));
        }
    }

    /** A client of the SASL_SSL listener with its own login, configured directly (as the lab's own tools would be). */
    private static Map<String, Object> client(EmbeddedKafkaBroker broker, TestCertificates certs, String user, String password) {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", broker.saslSslBootstrapServers());
        props.put("security.protocol", "SASL_SSL");
        props.put("sasl.mechanism", "SCRAM-SHA-512");
        props.put("sasl.jaas.config", jaas(user, password));
        props.put("ssl.truststore.location", certs.trustStore().toString());
        props.put("ssl.truststore.type", "PKCS12");
        props.put("ssl.truststore.password", certs.password());
        props.put("acks", "all");
        return props;
    }

    private static String jaas(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user + "\" password=\""
                + password + "\";";
    }
}
