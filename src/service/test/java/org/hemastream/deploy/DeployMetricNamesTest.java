package org.hemastream.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Vertx;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.hemastream.HemastreamService;
import org.hemastream.config.ServiceConfig;
import org.hemastream.config.Settings;
import org.hemastream.kafka.KafkaBroker;
import org.hemastream.kafka.KafkaBrokerExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every metric the alert rules and the dashboard query exists in a scrape of the running service, with
 * every label they select or group by: a renamed metric or label would otherwise leave a rule silent and a
 * panel empty, with nothing failing. The real service (real models) runs on the test broker and is fed a
 * specimen with blast cells, a CBC and one bad record, so that the lazily created series (alerts by stage,
 * dead letters by reason, scores by class, alert latency) exist.
 */
@ExtendWith(KafkaBrokerExtension.class)
class DeployMetricNamesTest {

    /** Labels Prometheus adds at scrape time; the service never exports them. */
    private static final Set<String> TARGET_LABELS = Set.of("job", "instance");

    private final ObjectMapper mapper = new ObjectMapper();

    @Test
    void everyMetricAndLabelTheRulesAndTheDashboardUseIsInTheServicesScrape(KafkaBroker broker) throws Exception {
        List<String> queries = new ArrayList<>(DeployFiles.ruleExpressions(DeployFiles.RULES));
        queries.addAll(DeployFiles.dashboardExpressions());
        assertThat(queries).hasSizeGreaterThan(20);

        Map<String, Set<String>> labelsByMetric = scrapeAfterOneSpecimen(broker);

        Map<String, String> problems = new TreeMap<>();
        Set<String> used = new TreeSet<>();
        for (String query : queries) {
            PromQl.Usage usage = PromQl.usage(query);
            assertThat(usage.metrics()).as("metrics named in %s", query).isNotEmpty();
            Set<String> labelsOfQuery = new TreeSet<>();
            for (PromQl.Selector s : usage.metrics()) {
                used.add(s.metric());
                if (s.metric().equals("up")) {
                    continue; // made by Prometheus for every target
                }
                Set<String> labels = labelsByMetric.get(s.metric());
                if (labels == null) {
                    problems.put(s.metric(), "not in the scrape (query: " + query + ")");
                    continue;
                }
                labelsOfQuery.addAll(labels);
                for (String l : s.labels()) {
                    if (!TARGET_LABELS.contains(l) && !labels.contains(l)) {
                        problems.put(s.metric() + "{" + l + "}", "label not in the scrape (query: " + query + ")");
                    }
                }
            }
            for (String l : usage.groupingLabels()) {
                if (!TARGET_LABELS.contains(l) && !labelsOfQuery.contains(l)) {
                    problems.put("by (" + l + ")", "no metric of the query has this label (query: " + query + ")");
                }
            }
        }
        assertThat(used).contains("hemastream_blast_alert_latency_seconds_bucket", "kafka_consumer_fetch_manager_records_lag",
                "hemastream_ready", "hemastream_model_info");
        assertThat(problems).as("metrics or labels the rules/dashboard use that the service does not export").isEmpty();
    }

    /** Runs the service, feeds it one specimen, and returns each scraped metric name with its label names. */
    private Map<String, Set<String>> scrapeAfterOneSpecimen(KafkaBroker broker) throws Exception {
        Map<String, String> s = new HashMap<>();
        s.put("kafka.bootstrap.servers", broker.bootstrapServers());
        s.put("kafka.group.id", broker.freshTopic("group"));
        for (String t : List.of("cbc", "captures", "cellResults", "blastAlerts", "diagnosticScores", "deadLetters",
                "specimenState")) {
            s.put("topics." + t, broker.freshTopic(t));
        }
        s.put("topics.partitions", "2");
        s.put("http.port", "0");
        s.put("http.host", "127.0.0.1");
        s.put("flow.commitIntervalMillis", "200");
        ServiceConfig config = ServiceConfig.from(Settings.defaults().with(s));
        Vertx vertx = Vertx.vertx();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", broker.bootstrapServers(),
                "acks", "all"), new StringSerializer(), new ByteArraySerializer())) {
            HemastreamService service = HemastreamService.start(vertx, config).await(120, TimeUnit.SECONDS);
            String specimen = "DEPLOY-METRICS-1";
            String slide = specimen + "-S1";
            List<byte[]> cells = parityCells("blast", "segmented_neutrophil");
            send(producer, config.topics().cbc(), specimen, cbc(specimen));
            for (int i = 0; i < cells.size(); i++) {
                send(producer, config.topics().captures(), specimen, json(cell(specimen, slide, slide + "-" + i, cells.get(i))));
            }
            send(producer, config.topics().captures(), specimen, json(slideComplete(specimen, slide, cells.size())));
            send(producer, config.topics().captures(), specimen, "{not json".getBytes(StandardCharsets.UTF_8));

            HttpClient http = HttpClient.newHttpClient();
            URI uri = URI.create("http://127.0.0.1:" + service.httpPort() + "/metrics");
            String[] text = new String[1];
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() -> {
                text[0] = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()).body();
                return text[0].contains("hemastream_blast_alerts_total{stage=\"final\"")
                        && text[0].contains("hemastream_diagnostic_scores_total{leading=")
                        && text[0].contains("stage=\"final\"")
                        && text[0].contains("hemastream_dead_letters_total{reason=")
                        && text[0].contains("kafka_consumer_fetch_manager_records_lag{");
            });
            service.stop().await(30, TimeUnit.SECONDS);
            return PromQl.scrapedLabels(text[0]);
        } finally {
            vertx.close().await(30, TimeUnit.SECONDS);
        }
    }

    private static void send(KafkaProducer<String, byte[]> producer, String topic, String key, byte[] value) throws Exception {
        producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
    }

    /** Held-out cell images of the committed parity sample with these labels (DeepAPL, one patient's smear style). */
    private List<byte[]> parityCells(String... labels) throws Exception {
        Path dir = Path.of(getClass().getResource("/parity/parity.json").toURI()).getParent();
        List<byte[]> out = new ArrayList<>();
        for (JsonNode c : mapper.readTree(dir.resolve("parity.json").toFile()).get("cells")) {
            if (List.of(labels).contains(c.get("label").asText()) && c.get("source").asText().equals("DeepAPL")) {
                out.add(Files.readAllBytes(dir.resolve(c.get("file").asText())));
            }
        }
        assertThat(out).isNotEmpty();
        return out;
    }

    private byte[] json(JsonNode n) throws Exception {
        return mapper.writeValueAsBytes(n);
    }

    private byte[] cbc(String specimenId) throws Exception {
        ObjectNode n = mapper.createObjectNode().put("schemaVersion", 1).put("type", "cbc-result")
                .put("specimenId", specimenId).put("measuredAt", Instant.now().toString());
        ObjectNode p = n.putObject("parameters");
        p.putObject("WBC").put("value", 21.4).put("unit", "10^3/uL");
        p.putObject("HGB").put("value", 8.9).put("unit", "g/dL");
        p.putObject("PLT").put("value", 38).put("unit", "10^3/uL");
        n.putArray("flags").add("Blasts?");
        return json(n);
    }

    private ObjectNode cell(String specimenId, String slideId, String cellId, byte[] image) {
        return mapper.createObjectNode().put("schemaVersion", 1).put("type", "cell-image").put("specimenId", specimenId)
                .put("slideId", slideId).put("cellId", cellId).put("capturedAt", Instant.now().toString())
                .put("image", Base64.getEncoder().encodeToString(image));
    }

    private ObjectNode slideComplete(String specimenId, String slideId, int cellCount) {
        return mapper.createObjectNode().put("schemaVersion", 1).put("type", "slide-complete")
                .put("specimenId", specimenId).put("slideId", slideId).put("cellCount", cellCount)
                .put("completedAt", Instant.now().toString());
    }
}
