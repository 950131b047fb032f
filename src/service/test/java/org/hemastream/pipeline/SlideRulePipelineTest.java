package org.hemastream.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import org.hemastream.kafka.KafkaBroker;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The configured slide rule reaches the running service: alerts.* override the model's rule. */
class SlideRulePipelineTest extends PipelineTestBase {

    @Test
    void aConfiguredMinimumAboveTheSlidesFlaggedCellsKeepsItsBlastsFromPaging(KafkaBroker broker) throws Exception {
        PipelineHarness h = harness(broker, Map.of("alerts.minBlastCells", "10000",
                "alerts.promyelocyteExcessFraction", "0"));
        h.start(PipelineHarness.classifier());
        List<TestCells.Cell> cells = new ArrayList<>(TestCells.labelled("blast", "DeepAPL"));
        long flagged = blastCalls(cells).stream().filter(b -> b).count();
        assertThat(flagged).as("the shipped model flags some of these blasts").isPositive();

        String specimen = "AML-RULE-1";
        String slide = specimen + "-S1";
        h.send(h.config.topics().cbc(), specimen, h.cbc(specimen, "Blasts?"));
        for (int i = 0; i < cells.size(); i++) {
            h.send(h.config.topics().captures(), specimen, h.cell(specimen, slide, slide + "-" + i, cells.get(i).jpeg()));
        }
        h.send(h.config.topics().captures(), specimen, h.slideComplete(specimen, slide, cells.size()));
        await().atMost(Duration.ofSeconds(60)).until(() -> h.cellResults().size() >= cells.size());
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> h.alerts().isEmpty());

        assertThat(h.cellResults().stream().filter(r -> r.get("blast").asBoolean()).count()).isEqualTo(flagged);
        assertThat(h.alerts()).isEmpty();
    }

    @Test
    void withTheModelsRuleTheSameSlidePagesAndNamesEachListedCell(KafkaBroker broker) throws Exception {
        PipelineHarness h = harness(broker, Map.of());
        h.start(PipelineHarness.classifier());
        List<TestCells.Cell> cells = new ArrayList<>(TestCells.labelled("blast", "DeepAPL"));

        String specimen = "AML-RULE-2";
        String slide = specimen + "-S1";
        h.send(h.config.topics().cbc(), specimen, h.cbc(specimen, "Blasts?"));
        for (int i = 0; i < cells.size(); i++) {
            h.send(h.config.topics().captures(), specimen, h.cell(specimen, slide, slide + "-" + i, cells.get(i).jpeg()));
        }
        h.send(h.config.topics().captures(), specimen, h.slideComplete(specimen, slide, cells.size()));
        await().atMost(Duration.ofSeconds(60)).until(() -> h.alerts().stream().anyMatch(a -> a.get("stage").asText().equals("final")));

        JsonNode fin = h.alerts().stream().filter(a -> a.get("stage").asText().equals("final")).findFirst().orElseThrow();
        assertThat(fin.get("slideRuleMet").asBoolean()).isTrue();
        assertThat(fin.get("blastCount").asInt() + fin.get("promyelocyteCount").asInt()).isEqualTo(fin.get("blastCells").size());
        assertThat(fin.get("blastCells")).allSatisfy(c -> assertThat(c.get("cellType").asText()).isIn("blast", "promyelocyte"));
    }
}
