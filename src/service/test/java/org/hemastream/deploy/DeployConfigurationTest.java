package org.hemastream.deploy;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import org.hemastream.config.ServiceConfig;
import org.hemastream.config.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The settings deploy/ gives the service — the Kubernetes ConfigMap's properties file with the pods'
 * environment (CPU and GPU), and the Compose instances' environment — are read by the service's own
 * configuration code without a complaint: no unknown or misspelt key, no bad value. Secret files are
 * replaced by temporary ones; the Kafka config-provider reference stays as it is (Kafka resolves it).
 */
class DeployConfigurationTest {

    @TempDir
    Path tmp;

    @Test
    void theKubernetesConfigMapAndPodEnvironmentAreValidSettings() throws Exception {
        String properties = DeployFiles.read(DeployFiles.YAML, DeployFiles.DEPLOY.resolve("k8s/base/configmap.yaml"))
                .at("/data/hemastream.properties").asText();
        Path file = Files.writeString(tmp.resolve("hemastream.properties"), withTemporarySecrets(properties));
        Map<String, String> env = podEnvironment(DeployFiles.DEPLOY.resolve("k8s/base/statefulset.yaml"));
        env.put("HEMASTREAM_INSTANCE_ID", "hemastream-0"); // the pod name, from metadata.name

        ServiceConfig cpu = ServiceConfig.from(Settings.load(file, env, Map.of()));
        assertThat(cpu.processing().instanceId()).isEqualTo("hemastream-0");
        assertThat(cpu.kafka().clientSettings()).containsEntry("sasl.jaas.config",
                "${file:/etc/hemastream/secrets/kafka.properties:sasl.jaas.config}");

        env.putAll(podEnvironment(DeployFiles.DEPLOY.resolve("k8s/overlays/gpu/statefulset-gpu.yaml")));
        ServiceConfig gpu = ServiceConfig.from(Settings.load(file, env, Map.of()));
        assertThat(gpu.inference().executionProvider().name()).isEqualToIgnoringCase("cuda");
        assertThat(gpu.inference().maxBatch()).isEqualTo(64);
    }

    @Test
    @SuppressWarnings("unchecked")
    void theComposeInstancesEnvironmentIsValidSettings() throws Exception {
        Map<String, Object> compose = new Yaml().load(Files.readString(DeployFiles.DEPLOY.resolve("compose/compose.yaml")));
        Map<String, Object> services = (Map<String, Object>) compose.get("services");
        for (String instance : List.of("hemastream-1", "hemastream-2")) {
            Map<String, String> env = new HashMap<>();
            ((Map<String, Object>) ((Map<String, Object>) services.get(instance)).get("environment"))
                    .forEach((k, v) -> env.put(k, String.valueOf(v)));
            for (Map.Entry<String, String> e : env.entrySet()) {
                if (e.getValue().startsWith("/run/secrets/")) {
                    e.setValue(secretFile(e.getValue()).toString());
                }
            }
            ServiceConfig config = ServiceConfig.from(Settings.load(null, env, Map.of()));
            assertThat(config.processing().instanceId()).isEqualTo(instance);
            assertThat(config.kafka().bootstrapServers()).isEqualTo("kafka-1:9092,kafka-2:9092,kafka-3:9092");
        }
    }

    /** Points the secret files the settings name at temporary files with plausible content. */
    private String withTemporarySecrets(String properties) throws Exception {
        StringBuilder out = new StringBuilder();
        for (String line : properties.lines().toList()) {
            int eq = line.indexOf('=');
            boolean secretFile = eq > 0 && !line.startsWith("kafka.") && line.substring(eq + 1).startsWith("/etc/hemastream/secrets/");
            out.append(secretFile ? line.substring(0, eq + 1) + secretFile(line.substring(eq + 1)) : line).append('\n');
        }
        return out.toString();
    }

    private Path secretFile(String path) throws Exception {
        Path f = tmp.resolve(Path.of(path).getFileName().toString());
        if (!Files.exists(f)) {
            Files.writeString(f, "0123456789abcdef0123456789abcdef\n");
        }
        return f;
    }

    private static Map<String, String> podEnvironment(Path statefulSet) throws Exception {
        StatefulSet sts = (StatefulSet) StrictManifests.parse(statefulSet.toString(), Files.readString(statefulSet)).get(0).typed();
        Map<String, String> env = new HashMap<>();
        for (EnvVar e : sts.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv()) {
            if (e.getValue() != null) {
                env.put(e.getName(), e.getValue());
            }
        }
        return env;
    }
}
