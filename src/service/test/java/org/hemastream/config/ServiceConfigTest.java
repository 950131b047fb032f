package org.hemastream.config;

import org.hemastream.inference.ExecutionProvider;
import org.hemastream.inference.JpegDecoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServiceConfigTest {

    @Test
    void defaultsAreValid() {
        ServiceConfig c = ServiceConfig.from(Settings.defaults());
        assertThat(c.inference().maxBatch()).isEqualTo(32);
        assertThat(c.inference().maxBatchDelay()).isEqualTo(Duration.ofMillis(20));
        assertThat(c.inference().executionProvider()).isEqualTo(ExecutionProvider.CPU);
        assertThat(c.inference().jpegDecoder()).isEqualTo(JpegDecoder.AUTO);
        assertThat(c.topics().cbc()).isEqualTo("lab.cbc.results");
    }

    @Test
    void fileOverridesDefaultsEnvironmentOverridesFileAndFlagsOverrideAll(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("hemastream.properties");
        Files.writeString(file, "inference.maxBatch=16\nflow.highMark=600\nkafka.security.protocol=SASL_SSL\n");
        Settings s = Settings.load(file, Map.of("HEMASTREAM_FLOW_HIGH_MARK", "700", "KAFKA_BOOTSTRAP_SERVERS", "k1:9092"),
                Map.of("inference.maxBatch", "8"));
        ServiceConfig c = ServiceConfig.from(s);
        assertThat(c.inference().maxBatch()).isEqualTo(8);
        assertThat(c.flow().highMark()).isEqualTo(700);
        assertThat(c.kafka().bootstrapServers()).isEqualTo("k1:9092");
        assertThat(c.kafka().clientSettings()).containsEntry("security.protocol", "SASL_SSL");
        assertThat(s.source("flow.highMark")).isEqualTo("env HEMASTREAM_FLOW_HIGH_MARK");
    }

    @Test
    void aBadValueStopsStartUpWithAMessageNamingTheKey() {
        assertThatThrownBy(() -> ServiceConfig.from(Settings.defaults().with(Map.of("inference.maxBatch", "0"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("inference.maxBatch").hasMessageContaining("between 1 and 1024");
        assertThatThrownBy(() -> ServiceConfig.from(Settings.defaults().with(Map.of("flow.highMark", "lots"))))
                .hasMessageContaining("flow.highMark").hasMessageContaining("integer");
        assertThatThrownBy(() -> ServiceConfig.from(Settings.defaults().with(Map.of("flow.lowMark", "900"))))
                .hasMessageContaining("flow.lowMark").hasMessageContaining("below flow.highMark");
        assertThatThrownBy(() -> ServiceConfig.from(Settings.defaults().with(Map.of("inference.executionProvider", "tpu"))))
                .hasMessageContaining("inference.executionProvider").hasMessageContaining("cuda");
        assertThatThrownBy(() -> ServiceConfig.from(Settings.defaults().with(Map.of("inference.jpegDecoder", "libjpeg"))))
                .hasMessageContaining("inference.jpegDecoder").hasMessageContaining("turbojpeg");
        assertThatThrownBy(() -> ServiceConfig.from(Settings.defaults().with(Map.of("inference.modelPath", "/nope.onnx"))))
                .hasMessageContaining("inference.modelPath");
        assertThatThrownBy(() -> Settings.defaults().with(Map.of("inference.maxBatchSize", "4")))
                .hasMessageContaining("inference.maxBatchSize").hasMessageContaining("unknown key");
        assertThatThrownBy(() -> ServiceConfig.from(Settings.defaults()).requireBootstrap())
                .hasMessageContaining("kafka.bootstrap.servers");
    }

    @Test
    void environmentNamesFollowTheKeys() {
        assertThat(Settings.envName("inference.maxBatchDelayMillis")).isEqualTo("HEMASTREAM_INFERENCE_MAX_BATCH_DELAY_MILLIS");
        assertThat(Defaults.table()).contains("flow.highMark").contains("HEMASTREAM_FLOW_HIGH_MARK");
    }

    @Test
    void theInstanceIdComesFromInstanceIdElseGroupInstanceIdElseHostAndPortAndNamesTheTransactionalId() {
        ServiceConfig explicit = ServiceConfig.from(Settings.defaults().with(Map.of("instance.id", "pod-3",
                "kafka.group.instance.id", "ignored")));
        assertThat(explicit.processing().instanceId()).isEqualTo("pod-3");
        assertThat(explicit.processing().transactionalId("hemastream")).isEqualTo("hemastream-hemastream-pod-3");
        ServiceConfig passthrough = ServiceConfig.from(Settings.defaults().with(Map.of("kafka.group.instance.id", "hemastream-2")));
        assertThat(passthrough.processing().instanceId()).isEqualTo("hemastream-2");
        ServiceConfig byHost = ServiceConfig.from(Settings.defaults().with(Map.of("http.port", "8093")));
        assertThat(byHost.processing().instanceId()).endsWith("-8093");
        assertThat(byHost.processing().guarantee()).isEqualTo(ServiceConfig.Guarantee.EXACTLY_ONCE);
        assertThatThrownBy(() -> ServiceConfig.from(Settings.defaults().with(Map.of("processing.guarantee", "maybe"))))
                .hasMessageContaining("processing.guarantee");
        assertThatThrownBy(() -> ServiceConfig.from(Settings.defaults().with(Map.of("instance.id", "a b"))))
                .hasMessageContaining("instance.id");
    }

    @Test
    void alertRuleKeysAreUnsetByDefaultSoTheModelsRuleAppliesAndBadValuesNameTheKey() {
        ServiceConfig c = ServiceConfig.from(Settings.defaults());
        assertThat(c.alerts().minBlastCells()).isNull();
        assertThat(c.alerts().minBlastFraction()).isNull();
        assertThat(c.inference().siteProfile()).isNull();

        ServiceConfig set = ServiceConfig.from(Settings.defaults().with(Map.of("alerts.minBlastCells", "3",
                "alerts.minBlastFraction", "0.01")));
        assertThat(set.alerts().minBlastCells()).isEqualTo(3);
        assertThat(set.alerts().minBlastFraction()).isEqualTo(0.01);

        assertThatThrownBy(() -> ServiceConfig.from(Settings.defaults().with(Map.of("alerts.minBlastFraction", "5"))))
                .hasMessageContaining("alerts.minBlastFraction").hasMessageContaining("between 0");
        assertThatThrownBy(() -> ServiceConfig.from(Settings.defaults().with(Map.of("alerts.minBlastCells", "0"))))
                .hasMessageContaining("alerts.minBlastCells");
        assertThatThrownBy(() -> ServiceConfig.from(Settings.defaults().with(Map.of("inference.siteProfile", "/nope.json"))))
                .hasMessageContaining("inference.siteProfile");
    }

    @Test
    void anyKafkaClientKeyCanComeFromTheEnvironmentAndSecretsAreNeverShown() {
        Settings s = Settings.load(null, Map.of(
                "HEMASTREAM_KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"h\" password=\"s3cr3t\";",
                "HEMASTREAM_KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "HEMASTREAM_KAFKA_SSL_TRUSTSTORE_PASSWORD", "${file:/run/secrets/kafka.properties:ssl.truststore.password}",
                "HEMASTREAM_KAFKA_BOOTSTRAP_SERVERS", "k1:9093",
                "HEMASTREAM_UNRELATED", "x"), Map.of());
        ServiceConfig c = ServiceConfig.from(s);
        assertThat(c.kafka().bootstrapServers()).isEqualTo("k1:9093");
        assertThat(c.kafka().clientSettings()).containsEntry("security.protocol", "SASL_SSL")
                .containsKey("sasl.jaas.config").containsKey("ssl.truststore.password");
        assertThat(s.source("kafka.sasl.jaas.config")).isEqualTo("env HEMASTREAM_KAFKA_SASL_JAAS_CONFIG");
        assertThat(s.describeKafka()).contains("kafka.security.protocol=SASL_SSL (env HEMASTREAM_KAFKA_SECURITY_PROTOCOL)")
                .contains("kafka.sasl.jaas.config=[hidden]")
                .contains("kafka.ssl.truststore.password=${file:/run/secrets/kafka.properties:ssl.truststore.password}")
                .doesNotContain("s3cr3t");
        assertThat(c.kafka().toString()).contains("SASL_SSL").doesNotContain("s3cr3t");
        assertThat(c.toString()).doesNotContain("s3cr3t");
        assertThat(Settings.envName("kafka.sasl.jaas.config")).isEqualTo("HEMASTREAM_KAFKA_SASL_JAAS_CONFIG");
    }

    @Test
    void replicationIsAutoByDefaultOrANumberAndSpecimenIdsArePseudonymisedByDefault(@TempDir Path dir) throws Exception {
        ServiceConfig defaults = ServiceConfig.from(Settings.defaults());
        assertThat(defaults.topics().replicationFactor()).isNull();
        assertThat(defaults.logging().specimenIds()).isEqualTo(ServiceConfig.SpecimenIdLogging.PSEUDONYMISED);
        assertThat(defaults.logging().pseudonymKeyFile()).isNull();
        assertThat(defaults.http().host()).isEqualTo("0.0.0.0");
        assertThat(defaults.http().tls()).isFalse();
        assertThat(ServiceConfig.from(Settings.defaults().with(Map.of("topics.replicationFactor", "3"))).topics()
                .replicationFactor()).isEqualTo((short) 3);
        assertThatThrownBy(() -> ServiceConfig.from(Settings.defaults().with(Map.of("topics.replicationFactor", "three"))))
                .hasMessageContaining("topics.replicationFactor").hasMessageContaining("auto");
        assertThatThrownBy(() -> ServiceConfig.from(Settings.defaults().with(Map.of("logging.specimenIds", "hashed"))))
                .hasMessageContaining("logging.specimenIds").hasMessageContaining("pseudonymised");
        Path shortKey = Files.writeString(dir.resolve("key"), "short");
        assertThatThrownBy(() -> ServiceConfig.from(Settings.defaults().with(Map.of("logging.pseudonymKeyFile", shortKey.toString()))))
                .hasMessageContaining("logging.pseudonymKeyFile").hasMessageContaining("at least 16");
    }
}
