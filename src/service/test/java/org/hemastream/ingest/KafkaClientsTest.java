package org.hemastream.ingest;

import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.hemastream.config.ServiceConfig;
import org.hemastream.config.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every Kafka client the service creates — group consumer, producer, changelog restore consumer, admin — gets
 * the {@code kafka.*} settings, config providers included: Kafka's own client configuration classes resolve a
 * {@code ${file:…}} and an {@code ${env:…}} reference from the maps {@link KafkaClients} builds.
 */
class KafkaClientsTest {

    @TempDir
    Path dir;

    @Test
    void everyClientResolvesSecretsFromTheFileAndEnvironmentConfigProviders() throws Exception {
        Path secrets = Files.writeString(dir.resolve("kafka.properties"), "ssl.truststore.password=from-the-file\n");
        String home = System.getenv("HOME");
        assertThat(home).as("an environment variable every test run has").isNotBlank();
        ServiceConfig config = ServiceConfig.from(Settings.load(null, Map.of(
                "HEMASTREAM_KAFKA_BOOTSTRAP_SERVERS", "k1:9093",
                "HEMASTREAM_KAFKA_CONFIG_PROVIDERS", "file,env",
                "HEMASTREAM_KAFKA_CONFIG_PROVIDERS_FILE_CLASS", "org.apache.kafka.common.config.provider.FileConfigProvider",
                "HEMASTREAM_KAFKA_CONFIG_PROVIDERS_ENV_CLASS", "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
                "HEMASTREAM_KAFKA_SSL_TRUSTSTORE_PASSWORD", "${file:" + secrets + ":ssl.truststore.password}",
                "HEMASTREAM_KAFKA_SASL_JAAS_CONFIG", "${env:HOME}"), Map.of()));
        KafkaClients clients = new KafkaClients(config);
        Map<String, Function<Map<String, Object>, AbstractConfig>> kinds = Map.of(
                "consumer", p -> new ConsumerConfig(withDeserializers(p)),
                "restore", p -> new ConsumerConfig(withDeserializers(p)),
                "producer", ProducerConfig::new,
                "admin", AdminClientConfig::new);
        Map<String, Map<String, Object>> props = Map.of("consumer", clients.consumer(), "restore", clients.restore(),
                "producer", clients.producer(), "admin", clients.admin());
        props.forEach((name, p) -> {
            AbstractConfig resolved = kinds.get(name).apply(p);
            assertThat(resolved.getPassword("ssl.truststore.password").value()).as(name).isEqualTo("from-the-file");
            assertThat(resolved.getPassword("sasl.jaas.config").value()).as(name).isEqualTo(home);
            assertThat(resolved.getList("bootstrap.servers")).as(name).containsExactly("k1:9093");
        });
    }

    private static Map<String, Object> withDeserializers(Map<String, Object> props) {
        Map<String, Object> p = new HashMap<>(props);
        p.put("key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
        p.put("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        return p;
    }
}
