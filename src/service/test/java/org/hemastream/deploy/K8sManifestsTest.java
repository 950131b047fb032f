package org.hemastream.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * deploy/k8s: every manifest (and every patch) parses strictly into the real Kubernetes, Strimzi and
 * Prometheus Operator models, the Kustomize builds (base and GPU overlay) too when {@code kubectl} is
 * installed, and the settings that matter for hemastream hold: co-partitioned inputs and changelog,
 * replication, retention, the autoscaler's cap, probes, the read-only root filesystem, the GPU request.
 */
class K8sManifestsTest {

    private static final Path K8S = DeployFiles.DEPLOY.resolve("k8s");
    private static final long DAY_MS = 24L * 3600 * 1000;

    @Test
    void everyManifestAndPatchParsesStrictlyIntoItsModel() throws Exception {
        List<StrictManifests.Manifest> all = new ArrayList<>();
        for (Path file : yamlFiles()) {
            all.addAll(StrictManifests.parse(K8S.relativize(file).toString(), Files.readString(file)));
        }
        assertThat(all.stream().map(StrictManifests.Manifest::kind).collect(Collectors.toSet())).contains("Namespace",
                "ConfigMap", "Secret", "Service", "StatefulSet", "PodDisruptionBudget", "KafkaTopic", "KafkaUser", "ServiceMonitor",
                "PrometheusRule", "ScaledObject", "TriggerAuthentication");
    }

    @Test
    void theParserRefusesAnUnknownFieldAWrongTypeAndAKindWithoutModel() {
        assertThatThrownBy(() -> StrictManifests.parse("t", """
                apiVersion: apps/v1
                kind: StatefulSet
                metadata: {name: x}
                spec:
                  template:
                    spec:
                      containers:
                        - name: c
                          livenessProbe: {httpGet: {path: /health/live, port: 8080}, periodSecond: 10}
                """)).hasMessageContaining("livenessProbe.periodSecond");
        assertThatThrownBy(() -> StrictManifests.parse("t", """
                apiVersion: kafka.strimzi.io/v1beta2
                kind: KafkaTopic
                metadata: {name: x}
                spec: {partitions: 3, replica: 3}
                """)).hasMessageContaining("spec.replica");
        assertThatThrownBy(() -> StrictManifests.parse("t", """
                apiVersion: monitoring.coreos.com/v1
                kind: ServiceMonitor
                metadata: {name: x}
                spec: {endpoints: [{port: http, interval: 15s, bearerTokenSecrets: {name: a, key: b}}]}
                """)).hasMessageContaining("bearerTokenSecrets");
        assertThatThrownBy(() -> StrictManifests.parse("t", """
                apiVersion: policy/v1
                kind: PodDisruptionBudget
                metadata: {name: x}
                spec: {maxUnavailable: 1, selector: {matchLabels: [a]}}
                """)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StrictManifests.parse("t", """
                apiVersion: apps/v1beta1
                kind: Deployment
                metadata: {name: x}
                """)).hasMessageContaining("no model for apps/v1beta1/Deployment");
    }

    @Test
    void topicsAreReplicatedCoPartitionedAndKeptAsLongAsTheirUseNeeds() throws Exception {
        Map<String, KafkaTopic> topics = all().stream().filter(m -> m.typed() instanceof KafkaTopic)
                .map(m -> (KafkaTopic) m.typed()).collect(Collectors.toMap(t -> t.getSpec().getTopicName(), t -> t));
        assertThat(topics).containsOnlyKeys("lab.cbc.results", "lab.cell.captures", "hema.cell-results", "hema.blast-alerts",
                "hema.diagnostic-scores", "hema.dead-letters", "hema.specimen-state", "hema.alert-reviews");
        topics.values().forEach(t -> {
            assertThat(t.getSpec().getReplicas()).as(t.getSpec().getTopicName()).isEqualTo(3);
            assertThat(t.getSpec().getConfig()).as(t.getSpec().getTopicName()).containsEntry("min.insync.replicas", "2");
            assertThat(t.getMetadata().getLabels()).containsKey("strimzi.io/cluster");
        });
        int inputs = topics.get("lab.cbc.results").getSpec().getPartitions();
        assertThat(topics.get("lab.cell.captures").getSpec().getPartitions()).isEqualTo(inputs);
        assertThat(topics.get("hema.specimen-state").getSpec().getPartitions()).isEqualTo(inputs);
        assertThat(topics.get("hema.specimen-state").getSpec().getConfig()).containsEntry("cleanup.policy", "compact");
        assertThat(retentionMs(topics.get("lab.cell.captures"))).isGreaterThanOrEqualTo(14 * DAY_MS);
        assertThat(retentionMs(topics.get("hema.dead-letters"))).isGreaterThanOrEqualTo(7 * DAY_MS);
        assertThat(topics.get("hema.alert-reviews").getSpec().getConfig()).containsEntry("retention.ms", "-1")
                .doesNotContainKey("cleanup.policy");
        // A 2 MB image (inference.maxImageBytes) is ~2.8 MB as base64 JSON: the captures topic must take it.
        assertThat(Long.parseLong((String) topics.get("lab.cell.captures").getSpec().getConfig().get("max.message.bytes")))
                .isGreaterThan(2_900_000L);

        // The user's ACLs name the group and the transactional IDs (hemastream-<group>-<instance>) the service uses.
        String properties = only(base(), "ConfigMap").tree().at("/data/hemastream.properties").asText();
        String group = properties.lines().filter(l -> l.startsWith("kafka.group.id=")).findFirst().orElseThrow().substring(15);
        JsonNode acls = only(all(), "KafkaUser").tree().at("/spec/authorization/acls");
        assertThat(acls).anyMatch(a -> a.at("/resource/type").asText().equals("group") && a.at("/resource/name").asText().equals(group));
        assertThat(acls).anyMatch(a -> a.at("/resource/type").asText().equals("transactionalId")
                && a.at("/resource/name").asText().equals("hemastream-" + group + "-")
                && a.at("/resource/patternType").asText().equals("prefix"));

        JsonNode scaled = only(base(), "ScaledObject").tree().get("spec");
        assertThat(scaled.get("maxReplicaCount").asInt()).as("replicas capped at the input partition count").isEqualTo(inputs);
        assertThat(scaled.get("minReplicaCount").asInt()).isBetween(1, inputs);
        assertThat(scaled.get("triggers")).allSatisfy(t -> {
            assertThat(t.get("type").asText()).isEqualTo("kafka");
            assertThat(t.at("/metadata/allowIdleConsumers").asText()).isEqualTo("false");
            assertThat(t.at("/metadata/consumerGroup").asText()).isEqualTo("hemastream");
        });
        assertThat(scaled.get("scaleTargetRef").get("kind").asText()).isEqualTo("StatefulSet");
    }

    @Test
    void thePodIsProbedBoundedNonRootWithAReadOnlyRootAndAWritableTmp() throws Exception {
        StatefulSet sts = (StatefulSet) only(base(), "StatefulSet").typed();
        Container c = sts.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(c.getStartupProbe().getHttpGet().getPath()).isEqualTo("/health/live");
        assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/health/live");
        assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/health/ready");
        assertThat(c.getResources().getLimits()).containsKeys("cpu", "memory");
        assertThat(c.getResources().getRequests().get("memory")).isEqualTo(c.getResources().getLimits().get("memory"));
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(sts.getSpec().getTemplate().getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(c.getVolumeMounts()).anyMatch(v -> v.getMountPath().equals("/tmp") && !Boolean.TRUE.equals(v.getReadOnly()));
        assertThat(c.getEnv()).anyMatch(e -> e.getName().equals("HEMASTREAM_INSTANCE_ID")
                && e.getValueFrom().getFieldRef().getFieldPath().equals("metadata.name"));
        // Secrets are read from files by Kafka's FileConfigProvider: no password on the command line or in the ConfigMap.
        assertThat(String.join(" ", c.getArgs())).doesNotContainIgnoringCase("password").doesNotContain("jaas");
        String properties = only(base(), "ConfigMap").tree().at("/data/hemastream.properties").asText();
        assertThat(properties).contains("kafka.sasl.jaas.config=${file:/etc/hemastream/secrets/kafka.properties:sasl.jaas.config}")
                .doesNotContainIgnoringCase("password");
        assertThat(only(base(), "PodDisruptionBudget").tree().at("/spec/maxUnavailable").asInt()).isEqualTo(1);
        assertThat(only(base(), "ServiceMonitor").tree().at("/spec/endpoints/0/port").asText())
                .isEqualTo(only(base(), "Service").tree().at("/spec/ports/0/name").asText());
    }

    @Test
    void theReviewPageRunsAloneAsTheSameImageWithItsReviewersFromTheSecret() throws Exception {
        Deployment review = (Deployment) only(under("review"), "Deployment").typed();
        assertThat(review.getSpec().getReplicas()).isEqualTo(1);
        assertThat(review.getSpec().getStrategy().getType()).as("never two at once").isEqualTo("Recreate");
        Container c = review.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(c.getArgs()).startsWith("review");
        assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/health/ready");
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(c.getVolumeMounts()).anyMatch(v -> v.getMountPath().equals("/tmp"));
        String reviewersFile = c.getEnv().stream().filter(e -> e.getName().equals("HEMASTREAM_REVIEW_REVIEWERS_FILE"))
                .findFirst().orElseThrow().getValue();
        assertThat(reviewersFile).startsWith("/etc/hemastream/secrets/");
        JsonNode secret = base().stream().filter(m -> m.kind().equals("Secret") && m.name().equals("hemastream-secrets"))
                .findFirst().orElseThrow().tree();
        assertThat(secret.at("/stringData")
                .has(reviewersFile.substring("/etc/hemastream/secrets/".length()))).as("the example secret has the key").isTrue();
    }

    @Test
    void kustomizeBuildsOfBaseAndGpuOverlayParseStrictlyAndTheGpuPodAsksForAGpu() throws Exception {
        Assumptions.assumeTrue(onPath("kubectl"), "kubectl (with kustomize) not installed: rendered builds not checked");
        List<StrictManifests.Manifest> cpu = StrictManifests.parse("kustomize base", kustomize(K8S.resolve("base")));
        List<StrictManifests.Manifest> gpu = StrictManifests.parse("kustomize gpu", kustomize(K8S.resolve("overlays/gpu")));
        assertThat(gpu).hasSameSizeAs(cpu);
        assertThat(cpu).allSatisfy(m -> assertThat(m.tree().at("/metadata/namespace").asText())
                .as(m.kind() + " " + m.name()).isIn("hemastream", ""));

        assertThat(StrictManifests.parse("kustomize review", kustomize(K8S.resolve("review"))))
                .extracting(StrictManifests.Manifest::kind).containsExactlyInAnyOrder("Deployment", "Service");
        List<StrictManifests.Manifest> kafka = StrictManifests.parse("kustomize kafka", kustomize(K8S.resolve("kafka")));
        assertThat(kafka).extracting(StrictManifests.Manifest::kind).containsOnly("KafkaTopic", "KafkaUser");
        assertThat(kafka).allSatisfy(m -> assertThat(m.tree().at("/metadata/namespace").asText()).isEqualTo("kafka"));

        Container cpuPod = ((StatefulSet) only(cpu, "StatefulSet").typed()).getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(cpuPod.getImage()).endsWith(":0.1.0");
        assertThat(cpuPod.getResources().getLimits()).doesNotContainKey("nvidia.com/gpu");

        StatefulSet sts = (StatefulSet) only(gpu, "StatefulSet").typed();
        Container c = sts.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(c.getImage()).endsWith(":0.1.0-cuda");
        assertThat(c.getResources().getLimits()).containsEntry("nvidia.com/gpu", new Quantity("1"));
        assertThat(c.getEnv()).anyMatch(e -> e.getName().equals("HEMASTREAM_INFERENCE_EXECUTION_PROVIDER") && e.getValue().equals("cuda"));
        assertThat(c.getEnv()).as("the overlay's env merges with the base's, not replaces it")
                .anyMatch(e -> e.getName().equals("HEMASTREAM_INSTANCE_ID"));
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(sts.getSpec().getTemplate().getSpec().getNodeSelector()).containsKey("nvidia.com/gpu.present");
        assertThat(sts.getSpec().getTemplate().getSpec().getTolerations()).anyMatch(t -> t.getKey().equals("nvidia.com/gpu"));
        JsonNode scaled = only(gpu, "ScaledObject").tree().get("spec");
        assertThat(scaled.get("maxReplicaCount").asInt()).isLessThanOrEqualTo(12);
        assertThat(scaled.get("triggers")).hasSize(2);
    }

    private static long retentionMs(KafkaTopic t) {
        return Long.parseLong(String.valueOf(t.getSpec().getConfig().get("retention.ms")));
    }

    private static List<StrictManifests.Manifest> base() throws IOException {
        return under("base");
    }

    private static List<StrictManifests.Manifest> all() throws IOException {
        return under("");
    }

    private static List<StrictManifests.Manifest> under(String folder) throws IOException {
        List<StrictManifests.Manifest> out = new ArrayList<>();
        for (Path file : yamlFiles()) {
            if (file.startsWith(K8S.resolve(folder))) {
                out.addAll(StrictManifests.parse(file.toString(), Files.readString(file)));
            }
        }
        return out;
    }

    private static StrictManifests.Manifest only(List<StrictManifests.Manifest> manifests, String kind) {
        List<StrictManifests.Manifest> found = manifests.stream().filter(m -> m.kind().equals(kind)).toList();
        assertThat(found).as(kind).hasSize(1);
        return found.get(0);
    }

    /** Manifests and patches; not the Kustomization files themselves. */
    private static List<Path> yamlFiles() throws IOException {
        try (Stream<Path> files = Files.walk(K8S)) {
            return files.filter(p -> p.toString().endsWith(".yaml") && !p.getFileName().toString().equals("kustomization.yaml"))
                    .sorted().toList();
        }
    }

    private static boolean onPath(String command) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, command)));
    }

    private static String kustomize(Path dir) throws Exception {
        Process p = new ProcessBuilder("kubectl", "kustomize", dir.toString()).redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("kubectl kustomize %s: %s", dir, err).isZero();
        return out;
    }
}
