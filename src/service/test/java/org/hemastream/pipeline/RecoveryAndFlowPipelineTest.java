package org.hemastream.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.hemastream.HemastreamService;
import org.hemastream.events.CellImage;
import org.hemastream.inference.BatchClassifier;
import org.hemastream.inference.CellOutcome;
import org.hemastream.ingest.SpecimenConsumerVerticle;
import org.hemastream.kafka.KafkaBroker;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class RecoveryAndFlowPipelineTest extends PipelineTestBase {

    private static List<TestCells.Cell> amlSmear() {
        List<TestCells.Cell> cells = new ArrayList<>();
        cells.addAll(TestCells.labelled("lymphocyte", "DeepAPL"));
        cells.addAll(TestCells.labelled("blast", "DeepAPL"));
        cells.addAll(TestCells.labelled("monocyte", "DeepAPL"));
        return cells;
    }

    private static void sendCells(PipelineHarness h, String specimen, List<TestCells.Cell> cells, int from, int to)
            throws Exception {
        for (int i = from; i < to; i++) {
            h.send(h.config.topics().captures(), specimen, h.cell(specimen, specimen + "-S1", specimen + "-S1-" + i,
                    cells.get(i).jpeg()).put("capturedAt", "2026-11-26T08:00:" + String.format("%02d", i % 60) + "Z"));
        }
    }

    /** Final outputs without processing times: cell results by cell, alerts by ID (issuedAt removed). */
    private static Map<String, JsonNode> finalOutputs(PipelineHarness h) {
        Map<String, JsonNode> out = new TreeMap<>();
        for (JsonNode r : h.cellResults()) {
            out.put("cell/" + r.get("cellId").asText(), r);
        }
        for (JsonNode a : h.alerts()) {
            ObjectNode copy = a.deepCopy();
            copy.remove("issuedAt");
            if (a.get("stage").asText().equals("preliminary")) {
                // which blasts a preliminary alert lists depends on batch timing; its ID does not
                out.put("alert/" + a.get("alertId").asText(), copy.retain("alertId", "specimenId", "slideId", "stage"));
            } else {
                out.put("alert/" + a.get("alertId").asText(), copy);
            }
        }
        return out;
    }

    @Test
    void stoppingAfterHalfASpecimensCellsAndRestartingGivesTheSameFinalOutputsAndLosesNothing(KafkaBroker broker)
            throws Exception {
        List<TestCells.Cell> cells = amlSmear();
        long blasts = blastCalls(cells).stream().filter(b -> b).count();
        String specimen = "AML-RESTART";
        ObjectNode cbcEvent = null;

        PipelineHarness reference = harness(broker, Map.of());
        reference.start(PipelineHarness.classifier());
        cbcEvent = reference.cbc(specimen, "Blasts?").put("measuredAt", "2026-11-26T07:50:00Z");
        reference.send(reference.config.topics().cbc(), specimen, cbcEvent);
        sendCells(reference, specimen, cells, 0, cells.size());
        reference.send(reference.config.topics().captures(), specimen,
                reference.slideComplete(specimen, specimen + "-S1", cells.size()).put("completedAt", "2026-11-26T08:05:00Z"));
        await().atMost(Duration.ofSeconds(90)).until(() -> reference.cellResults().size() >= cells.size()
                && reference.alerts().size() >= (blasts > 0 ? 2 : 0));
        reference.stopService();

        PipelineHarness h = harness(broker, Map.of());
        h.start(PipelineHarness.classifier());
        h.send(h.config.topics().cbc(), specimen, cbcEvent);
        int half = cells.size() / 2;
        sendCells(h, specimen, cells, 0, half);
        await().atMost(Duration.ofSeconds(60)).until(() -> h.cellResults().size() >= half);
        h.stopService();
        sendCells(h, specimen, cells, half, cells.size());
        h.send(h.config.topics().captures(), specimen,
                h.slideComplete(specimen, specimen + "-S1", cells.size()).put("completedAt", "2026-11-26T08:05:00Z"));
        h.start(PipelineHarness.classifier());
        await().atMost(Duration.ofSeconds(90)).until(() -> finalOutputs(h).keySet().containsAll(finalOutputs(reference).keySet()));

        Map<String, JsonNode> expected = finalOutputs(reference);
        Map<String, JsonNode> actual = finalOutputs(h);
        assertThat(expected.keySet().stream().filter(k -> k.startsWith("cell/"))).hasSize(cells.size());
        assertThat(actual).isEqualTo(expected);
        // exactly_once: the first half's results and the specimen's state were committed at the stop; the
        // restart restores them from the changelog instead of re-deriving them, so nothing is published twice
        assertThat(h.cellResults()).hasSize(cells.size());
    }

    @Test
    void withASlowClassifierCellsInFlightNeverExceedTheHighMarkAndPartitionsArePausedThenResumed(KafkaBroker broker)
            throws Exception {
        BatchClassifier real = PipelineHarness.classifier();
        BatchClassifier slow = new ForwardingClassifier(real) {
            @Override
            public List<CellOutcome> classify(List<CellImage> cells) throws Exception {
                Thread.sleep(150); // deliberately slow: the test's only fixture, around the real model
                return real.classify(cells);
            }
        };
        PipelineHarness h = harness(broker, Map.of("flow.highMark", "8", "flow.lowMark", "2", "inference.maxBatch", "4",
                "inference.sessions", "1", "inference.maxBatchDelayMillis", "5"));
        HemastreamService service = h.start(slow);
        List<TestCells.Cell> cells = new ArrayList<>(TestCells.labelled("lymphocyte", "PBC"));
        cells.addAll(TestCells.labelled("segmented_neutrophil", "PBC"));
        cells.addAll(TestCells.labelled("monocyte", "PBC"));
        cells.addAll(TestCells.labelled("eosinophil", "PBC"));
        String specimen = "SLOW-1";
        h.send(h.config.topics().cbc(), specimen, h.cbc(specimen));
        sendCells(h, specimen, cells, 0, cells.size());
        h.send(h.config.topics().captures(), specimen, h.slideComplete(specimen, specimen + "-S1", cells.size()));

        await().atMost(Duration.ofSeconds(120)).until(() -> h.cellResults().size() >= cells.size());
        SpecimenConsumerVerticle.FlowStats stats = service.flowStats();
        assertThat(stats.maxInFlight()).isPositive().isLessThanOrEqualTo(8);
        assertThat(stats.pauses()).isGreaterThanOrEqualTo(1);
        assertThat(stats.resumes()).isGreaterThanOrEqualTo(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> service.flowStats().inFlight() == 0
                && service.flowStats().backlog() == 0);
    }
}
