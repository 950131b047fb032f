package org.hemastream.config;

import org.hemastream.inference.ExecutionProvider;
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
}
