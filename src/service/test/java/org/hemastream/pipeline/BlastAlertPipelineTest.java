package org.hemastream.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import org.hemastream.HemastreamService;
import org.hemastream.events.BlastAlert;
import org.hemastream.kafka.KafkaBroker;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class BlastAlertPipelineTest extends PipelineTestBase {

    @Test
    void blastAlertIsPublishedBeforeSlideCompletesThenTheFinalAlertCountsEveryBlast(KafkaBroker broker) throws Exception {
        PipelineHarness h = harness(broker, Map.of());
        h.start(PipelineHarness.classifier());
        List<TestCells.Cell> cells = new ArrayList<>();
        cells.addAll(TestCells.labelled("lymphocyte", "DeepAPL"));
        cells.addAll(TestCells.labelled("blast", "DeepAPL"));
        cells.addAll(TestCells.labelled("segmented_neutrophil", "DeepAPL"));
        long expectedBlasts = blastCalls(cells).stream().filter(b -> b).count();
        assertThat(expectedBlasts).as("the shipped model finds blasts among held-out blast cells").isPositive();

        String specimen = "AML-0001";
        String slide = specimen + "-S1";
        String cbcTopic = h.config.topics().cbc();
        String captures = h.config.topics().captures();
        h.send(cbcTopic, specimen, h.cbc(specimen, "Blasts?", "Anemia"));
        for (int i = 0; i < cells.size(); i++) {
            h.send(captures, specimen, h.cell(specimen, slide, slide + "-" + i, cells.get(i).jpeg()));
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> !h.alerts().isEmpty());
        JsonNode preliminary = h.alerts().get(0);
        assertThat(preliminary.get("stage").asText()).isEqualTo("preliminary");
        assertThat(preliminary.get("alertId").asText())
                .isEqualTo(BlastAlert.alertId(specimen, slide, BlastAlert.Stage.PRELIMINARY));
        assertThat(preliminary.get("cbcFlags").toString()).contains("Blasts?");
        assertThat(h.alerts()).noneMatch(a -> a.get("stage").asText().equals("final"));

        h.send(captures, specimen, h.slideComplete(specimen, slide, cells.size()));
        await().atMost(Duration.ofSeconds(60)).until(() -> h.alerts().stream().anyMatch(a -> a.get("stage").asText().equals("final")));
        JsonNode fin = h.alerts().stream().filter(a -> a.get("stage").asText().equals("final")).findFirst().orElseThrow();
        assertThat(fin.get("blastCount").asLong() + fin.get("promyelocyteCount").asLong()).isEqualTo(expectedBlasts);
        assertThat(fin.get("slideRuleMet").asBoolean()).isTrue();
        assertThat(fin.get("classifiedCells").asInt()).isEqualTo(cells.size());
        assertThat(fin.get("blastCells")).hasSize((int) expectedBlasts);
        assertThat(fin.get("alertId").asText()).isEqualTo(BlastAlert.alertId(specimen, slide, BlastAlert.Stage.FINAL));
        assertThat(h.alerts()).hasSize(2);
        assertThat(h.cellResults()).hasSize(cells.size());
    }

    @Test
    void aHealthySpecimenGetsACellResultForEveryCellAndNoAlert(KafkaBroker broker) throws Exception {
        PipelineHarness h = harness(broker, Map.of());
        h.start(PipelineHarness.classifier());
        List<TestCells.Cell> candidates = new ArrayList<>();
        for (String type : List.of("segmented_neutrophil", "lymphocyte", "monocyte", "eosinophil", "band_neutrophil")) {
            candidates.addAll(TestCells.labelled(type, "PBC"));
        }
        List<Boolean> blast = blastCalls(candidates);
        List<TestCells.Cell> cells = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            if (!blast.get(i)) {
                cells.add(candidates.get(i));
            }
        }
        String specimen = "NORMAL-0001";
        String slide = specimen + "-S1";
        h.send(h.config.topics().cbc(), specimen, h.cbc(specimen));
        for (int i = 0; i < cells.size(); i++) {
            h.send(h.config.topics().captures(), specimen, h.cell(specimen, slide, slide + "-" + i, cells.get(i).jpeg()));
        }
        h.send(h.config.topics().captures(), specimen, h.slideComplete(specimen, slide, cells.size()));
        await().atMost(Duration.ofSeconds(60)).until(() -> h.cellResults().size() >= cells.size());
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> h.alerts().isEmpty());
        Map<String, JsonNode> byCell = new HashMap<>();
        h.cellResults().forEach(r -> byCell.put(r.get("cellId").asText(), r));
        assertThat(byCell).hasSize(cells.size());
        assertThat(byCell.values()).allSatisfy(r -> {
            assertThat(r.get("blast").asBoolean()).isFalse();
            assertThat(r.get("probabilities").size()).isGreaterThan(1);
            assertThat(r.get("attributes").size()).isGreaterThan(0);
        });
        // each result says where its image is: the captures topic (fresh, one specimen: one partition) holds cell i at offset i
        for (int i = 0; i < cells.size(); i++) {
            assertThat(byCell.get(slide + "-" + i).at("/capture/offset").asLong()).isEqualTo(i);
        }
        assertThat(byCell.values().stream().map(r -> r.at("/capture/partition").asInt()).distinct()).hasSize(1);
    }

    @Test
    void metricsAreScrapedAsPrometheusTextWithTheServiceAndKafkaMetrics(KafkaBroker broker) throws Exception {
        PipelineHarness h = harness(broker, Map.of());
        HemastreamService service = h.start(PipelineHarness.classifier());
        String specimen = "METRICS-1";
        List<TestCells.Cell> cells = TestCells.labelled("lymphocyte", "PBC");
        h.send(h.config.topics().cbc(), specimen, h.cbc(specimen));
        for (int i = 0; i < cells.size(); i++) {
            h.send(h.config.topics().captures(), specimen, h.cell(specimen, "S1", "c" + i, cells.get(i).jpeg()));
        }
        h.send(h.config.topics().captures(), "WRONG-KEY", h.slideComplete(specimen, "S1", cells.size()));
        await().atMost(Duration.ofSeconds(60)).until(() -> h.cellResults().size() >= cells.size()
                && !h.deadLetters().isEmpty());

        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + service.httpPort();
        await().atMost(Duration.ofSeconds(30)).until(() -> http.send(HttpRequest.newBuilder(URI.create(base + "/health/ready")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
        assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/health/live")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        String text = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Map<String, Double> samples = PrometheusText.parse(text);
        assertThat(samples.entrySet().stream().filter(e -> e.getKey().startsWith("hemastream_cells_classified_total"))
                .mapToDouble(Map.Entry::getValue).sum()).isEqualTo(cells.size());
        assertThat(samples).containsKey("hemastream_dead_letters_total{reason=\"KEY_MISMATCH\"}");
        assertThat(samples.keySet()).anyMatch(k -> k.startsWith("hemastream_batch_size_bucket"));
        // Histograms (buckets) so percentiles aggregate across instances: histogram_quantile(0.99, …) in Prometheus.
        assertThat(samples.keySet()).anyMatch(k -> k.startsWith("hemastream_inference_time_seconds_bucket{"));
        assertThat(samples.keySet()).anyMatch(k -> k.startsWith("hemastream_queue_time_seconds_bucket{"));
        assertThat(samples.keySet()).anyMatch(k -> k.startsWith("hemastream_cell_latency_seconds_bucket{"));
        assertThat(samples).containsKeys("hemastream_specimens_open", "hemastream_cells_inflight", "hemastream_partitions_paused");
        assertThat(samples.keySet()).anyMatch(k -> k.startsWith("kafka_consumer_fetch_manager_records_lag_max"));
        assertThat(samples.keySet()).anyMatch(k -> k.startsWith("jvm_memory_used_bytes"));
    }
}
