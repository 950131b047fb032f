package org.hemastream.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.hemastream.HemastreamService;
import org.hemastream.config.ServiceConfig;
import org.hemastream.config.Settings;
import org.hemastream.kafka.EmbeddedKafkaBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real service on a real three-node KRaft cluster in this JVM ({@link EmbeddedKafkaBroker#startCluster}), with
 * {@code topics.replicationFactor} left at auto: every topic the service creates — inputs, outputs, review decisions
 * and the state changelog — gets 3 replicas and {@code min.insync.replicas} 2, and a blast alert still comes out of
 * events sent in. The single-broker tests cannot see either: there auto means 1.
 */
class ClusterReplicationPipelineTest {

    private final ObjectMapper mapper = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void onAThreeNodeClusterTheServiceCreatesTopicsWithThreeReplicasTwoInSyncAndAlertsFlow() throws Exception {
        List<EmbeddedKafkaBroker> cluster = EmbeddedKafkaBroker.startCluster(3, EmbeddedKafkaBroker.Settings.defaults());
        String bootstrap = EmbeddedKafkaBroker.bootstrapServers(cluster);
        String specimen = "CLUSTER-AML-" + UUID.randomUUID().toString().substring(0, 8);
        try {
            Path configFile = dir.resolve("hemastream.properties");
            Files.writeString(configFile, String.join("\n", "kafka.bootstrap.servers=" + bootstrap,
                    "topics.partitions=3", "http.port=0", "http.host=127.0.0.1", "flow.commitIntervalMillis=200", ""));
            ServiceConfig config = ServiceConfig.from(Settings.load(configFile, Map.of(), Map.of()));
            ServiceConfig.TopicsConfig t = config.topics();

            Vertx vertx = Vertx.vertx();
            HemastreamService service = HemastreamService.start(vertx, config).await(120, TimeUnit.SECONDS);
            List<JsonNode> alerts = new ArrayList<>();
            List<TestCells.Cell> cells = new ArrayList<>(TestCells.labelled("blast", "DeepAPL"));
            cells.addAll(TestCells.labelled("lymphocyte", "DeepAPL"));
            try {
                List<String> created = List.of(t.cbc(), t.captures(), t.cellResults(), t.blastAlerts(), t.diagnosticScores(),
                        t.deadLetters(), t.alertReviews(), t.specimenState());
                try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                    Map<String, TopicDescription> topics = admin.describeTopics(created).allTopicNames().get(30, TimeUnit.SECONDS);
                    topics.forEach((name, d) -> assertThat(d.partitions()).as("partitions of %s", name)
                            .allSatisfy(p -> {
                                assertThat(p.replicas()).as("replicas of %s-%d", name, p.partition()).hasSize(3);
                                assertThat(p.isr()).as("in-sync replicas of %s-%d", name, p.partition()).hasSize(3);
                            }));
                    List<ConfigResource> resources = created.stream()
                            .map(name -> new ConfigResource(ConfigResource.Type.TOPIC, name)).toList();
                    Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get(30, TimeUnit.SECONDS);
                    assertThat(configs.entrySet().stream().collect(Collectors.toMap(e -> e.getKey().name(),
                            e -> e.getValue().get("min.insync.replicas").value())))
                            .as("min.insync.replicas per topic").hasSize(created.size())
                            .allSatisfy((name, minIsr) -> assertThat(minIsr).as(name).isEqualTo("2"));
                }

                try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap,
                        "acks", "all"), new StringSerializer(), new ByteArraySerializer())) {
                    RawSpecimen.send(producer, t, specimen, cells);
                }
                try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap,
                        "group.id", "cluster-reader", "auto.offset.reset", "earliest", "isolation.level", "read_committed"),
                        new StringDeserializer(), new ByteArrayDeserializer())) {
                    consumer.subscribe(List.of(t.blastAlerts()));
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                    while (System.nanoTime() < deadline && alerts.stream().noneMatch(a -> a.get("stage").asText().equals("final"))) {
                        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                            alerts.add(mapper.readTree(r.value()));
                        }
                    }
                }
            } finally {
                service.stop().await(30, TimeUnit.SECONDS);
                vertx.close().await(10, TimeUnit.SECONDS);
            }
            JsonNode fin = alerts.stream().filter(a -> a.get("stage").asText().equals("final")).findFirst()
                    .orElseThrow(() -> new AssertionError("no final blast alert from the three-node cluster; alerts: " + alerts));
            assertThat(fin.get("specimenId").asText()).isEqualTo(specimen);
            assertThat(fin.get("classifiedCells").asInt()).isEqualTo(cells.size());
        } finally {
            EmbeddedKafkaBroker.closeCluster(cluster);
        }
    }
}
