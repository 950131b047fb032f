package org.hemastream.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Vertx;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.hemastream.HemastreamService;
import org.hemastream.config.ServiceConfig;
import org.hemastream.config.Settings;
import org.hemastream.inference.BatchClassifier;
import org.hemastream.inference.OnnxBatchClassifier;
import org.hemastream.kafka.KafkaBroker;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs the real service against the test run's real broker with topic names and a consumer group of
 * its own, produces input events the way the analyzer line does, and collects every output event.
 */
final class PipelineHarness implements AutoCloseable {

    /** One output event as read back from the broker. */
    record Output(String topic, String key, JsonNode event) {
    }

    private static OnnxBatchClassifier shared;

    static synchronized OnnxBatchClassifier classifier() throws Exception {
        if (shared == null) {
            shared = HemastreamService.loadClassifier(ServiceConfig.from(Settings.defaults()));
        }
        return shared;
    }

    final ObjectMapper mapper = new ObjectMapper();
    final KafkaBroker broker;
    final Vertx vertx;
    final ServiceConfig config;
    final List<Output> outputs = new CopyOnWriteArrayList<>();
    private final KafkaProducer<String, byte[]> producer;
    private final AtomicBoolean collecting = new AtomicBoolean(true);
    private final Thread collector;
    private HemastreamService service;
    private final List<AutoCloseable> zombies = new ArrayList<>();

    PipelineHarness(KafkaBroker broker, Vertx vertx, Map<String, String> overrides) {
        this.broker = broker;
        this.vertx = vertx;
        Map<String, String> s = new HashMap<>();
        s.put("kafka.bootstrap.servers", broker.bootstrapServers());
        s.put("kafka.group.id", broker.freshTopic("group"));
        for (String t : List.of("cbc", "captures", "cellResults", "blastAlerts", "diagnosticScores", "deadLetters",
                "specimenState", "alertReviews")) {
            s.put("topics." + t, broker.freshTopic(t));
        }
        s.put("topics.partitions", "2");
        s.put("http.port", "0");
        s.put("http.host", "127.0.0.1");
        s.put("flow.commitIntervalMillis", "200");
        s.putAll(overrides);
        this.config = ServiceConfig.from(Settings.defaults().with(s));
        this.producer = new KafkaProducer<>(Map.of("bootstrap.servers", broker.bootstrapServers(), "acks", "all"),
                new StringSerializer(), new ByteArraySerializer());
        this.collector = new Thread(this::collect, "test-output-collector");
        collector.setDaemon(true);
    }

    HemastreamService start(BatchClassifier classifier) throws Exception {
        service = HemastreamService.start(vertx, config, classifier, () -> { })
                .await(60, TimeUnit.SECONDS);
        PipelineTestBase.watching = true;
        if (!collector.isAlive()) {
            collector.start();
        }
        return service;
    }

    void stopService() throws Exception {
        if (service != null) {
            service.stop().await(30, TimeUnit.SECONDS);
            service = null;
        }
    }

    /**
     * Kills the service as {@code kill -9} would: nothing committed or aborted; its Kafka clients stay open as
     * zombies until {@link #close()} (a restarted instance with the same instance ID fences them).
     */
    void killService() throws Exception {
        if (service != null) {
            zombies.add(service.halt().await(30, TimeUnit.SECONDS));
            service = null;
        }
    }

    // ------------------------------------------------------------------------------------ inputs

    void send(String topic, String key, byte[] value) throws Exception {
        producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
    }

    /** Sends to an explicit partition, as a producer with another partitioner than Kafka's default would. */
    void sendToPartition(String topic, int partition, String key, JsonNode event) throws Exception {
        producer.send(new ProducerRecord<>(topic, partition, key, mapper.writeValueAsBytes(event))).get(30, TimeUnit.SECONDS);
    }

    void send(String topic, String key, JsonNode event) throws Exception {
        send(topic, key, mapper.writeValueAsBytes(event));
    }

    ObjectNode cbc(String specimenId, String... flags) {
        ObjectNode n = mapper.createObjectNode().put("schemaVersion", 1).put("type", "cbc-result")
                .put("specimenId", specimenId).put("measuredAt", Instant.now().toString());
        ObjectNode p = n.putObject("parameters");
        p.putObject("WBC").put("value", 21.4).put("unit", "10^3/uL");
        p.putObject("HGB").put("value", 8.9).put("unit", "g/dL");
        p.putObject("PLT").put("value", 38).put("unit", "10^3/uL");
        var f = n.putArray("flags");
        for (String flag : flags) {
            f.add(flag);
        }
        return n;
    }

    ObjectNode cell(String specimenId, String slideId, String cellId, byte[] image) {
        return mapper.createObjectNode().put("schemaVersion", 1).put("type", "cell-image").put("specimenId", specimenId)
                .put("slideId", slideId).put("cellId", cellId).put("capturedAt", Instant.now().toString())
                .put("image", Base64.getEncoder().encodeToString(image));
    }

    ObjectNode slideComplete(String specimenId, String slideId, int cellCount) {
        return mapper.createObjectNode().put("schemaVersion", 1).put("type", "slide-complete")
                .put("specimenId", specimenId).put("slideId", slideId).put("cellCount", cellCount)
                .put("completedAt", Instant.now().toString());
    }

    // ----------------------------------------------------------------------------------- outputs

    List<JsonNode> events(String topic) {
        List<JsonNode> out = new ArrayList<>();
        for (Output o : outputs) {
            if (o.topic().equals(topic)) {
                out.add(o.event());
            }
        }
        return out;
    }

    List<JsonNode> alerts() {
        return events(config.topics().blastAlerts());
    }

    List<JsonNode> cellResults() {
        return events(config.topics().cellResults());
    }

    List<JsonNode> deadLetters() {
        return events(config.topics().deadLetters());
    }

    private void collect() {
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers", broker.bootstrapServers(),
                "group.id", broker.freshTopic("collector"), "auto.offset.reset", "earliest",
                "isolation.level", "read_committed"),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            ServiceConfig.TopicsConfig t = config.topics();
            c.subscribe(List.of(t.cellResults(), t.blastAlerts(), t.deadLetters(), t.diagnosticScores()));
            while (collecting.get()) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(100))) {
                    outputs.add(new Output(r.topic(), r.key(), mapper.readTree(r.value())));
                }
            }
        } catch (Exception e) {
            if (collecting.get()) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Override
    public void close() throws Exception {
        stopService();
        for (AutoCloseable z : zombies) {
            z.close();
        }
        collecting.set(false);
        collector.join(5000);
        producer.close();
    }
}
