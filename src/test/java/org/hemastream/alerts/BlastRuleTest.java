package org.hemastream.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.hemastream.events.BlastAlert;
import org.hemastream.events.BlastAlert.BlastCell;
import org.hemastream.events.EventSchemas;
import org.hemastream.events.EventWriter;
import org.hemastream.inference.CellModelMetadata.SlideAlertRule;
import org.junit.jupiter.api.Test;

class BlastRuleTest {

    private static final Instant T0 = Instant.parse("2026-11-26T08:00:00Z");
    private static final SlideAlertRule MODEL_RULE = new SlideAlertRule(3, 0.01, "model metadata of m2", "{}");

    @Test
    void aSlideMeetsTheRuleOnlyWithEnoughFlaggedCellsAndEnoughOfItsClassifiedCells() {
        BlastRule rule = new BlastRule(3, 0.02, "test");

        assertThat(rule.met(2, 10)).as("too few cells").isFalse();
        assertThat(rule.met(3, 100)).as("3 of 100 = 3 % >= 2 %").isTrue();
        assertThat(rule.met(3, 200)).as("3 of 200 = 1.5 % < 2 %").isFalse();
        assertThat(rule.met(4, 200)).as("exactly 2 %").isTrue();
        assertThat(rule.met(3, 0)).isFalse();
    }

    @Test
    void thePreliminaryDecidesOnTheCellsSoFarTheFinalOnTheWholeSlideAndAnswersEveryPreliminary() {
        BlastRule rule = new BlastRule(2, 0.05, "test");

        assertThat(rule.preliminaryDue(2, 20, false)).as("2 of 20 = 10 %").isTrue();
        assertThat(rule.preliminaryDue(2, 20, true)).as("already sent").isFalse();
        assertThat(rule.finalDue(2, 100, false)).as("2 of 100 = 2 %: not met, nothing to withdraw").isFalse();
        assertThat(rule.finalDue(2, 100, true)).as("a preliminary went out: the final withdraws it").isTrue();
        assertThat(rule.finalDue(5, 100, false)).isTrue();
    }

    @Test
    void configuredValuesOverrideTheModelsRuleOneByOneAndTheOriginSaysWhich() {
        BlastRule fromModel = BlastRule.resolve(MODEL_RULE, null, null);
        assertThat(fromModel.minBlastCells()).isEqualTo(3);
        assertThat(fromModel.minBlastFraction()).isEqualTo(0.01);
        assertThat(fromModel.origin()).isEqualTo("model metadata of m2");

        BlastRule cellsOnly = BlastRule.resolve(MODEL_RULE, 1, null);
        assertThat(cellsOnly.minBlastCells()).isEqualTo(1);
        assertThat(cellsOnly.minBlastFraction()).isEqualTo(0.01);
        assertThat(cellsOnly.origin()).contains("alerts.minBlastCells").contains("model metadata of m2");

        BlastRule both = BlastRule.resolve(SlideAlertRule.DEFAULT, 5, 0.2);
        assertThat(both.minBlastCells()).isEqualTo(5);
        assertThat(both.minBlastFraction()).isEqualTo(0.2);
        assertThat(both.origin()).startsWith("configuration");

        assertThat(BlastRule.resolve(SlideAlertRule.DEFAULT, null, null).minBlastCells()).isEqualTo(1);
        assertThatThrownBy(() -> new BlastRule(1, 1.5, "x")).hasMessageContaining("alerts.minBlastFraction");
    }

    @Test
    void aFlaggedCellIsNamedTheMoreProbableOfBlastAndPromyelocyte() {
        assertThat(BlastRule.flaggedCellType(Map.of("blast", 0.55, "promyelocyte", 0.40))).isEqualTo("blast");
        assertThat(BlastRule.flaggedCellType(Map.of("blast", 0.35, "promyelocyte", 0.60))).isEqualTo("promyelocyte");
        assertThat(BlastRule.flaggedCellType(Map.of("blast", 0.5, "promyelocyte", 0.5))).as("tie").isEqualTo("blast");
        assertThat(BlastRule.flaggedCellType(Map.of("blast", 0.2, "lymphocyte", 0.8))).as("no promyelocyte class")
                .isEqualTo("blast");
    }

    @Test
    void anAplAlertCountsAbnormalPromyelocytesApartFromBlastsAndMatchesTheSchema() throws Exception {
        BlastRule rule = new BlastRule(2, 0.0, "test");
        List<BlastCell> flagged = List.of(
                new BlastCell("c1", 0.71, T0, "promyelocyte"),
                new BlastCell("c2", 0.93, T0, "blast"),
                new BlastCell("c3", 0.66, T0, "promyelocyte"));

        BlastAlert a = rule.alert(BlastAlert.Stage.FINAL, new BlastRule.SlideFacts("S1", "S1-1", 30, 0, 0.5,
                List.of(), false, "m1"), flagged, T0);

        assertThat(a.blastCount()).isEqualTo(1);
        assertThat(a.promyelocyteCount()).isEqualTo(2);
        assertThat(a.blastPercent()).as("blasts and blast equivalents").isEqualTo(10.0);
        assertThat(a.slideRuleMet()).isTrue();
        assertThat(a.blastCells()).extracting(BlastCell::cellId).containsExactly("c2", "c1", "c3");
        var json = new ObjectMapper().readTree(new EventWriter().blastAlert(a));
        assertThat(json.get("blastCells").get(1).get("cellType").asText()).isEqualTo("promyelocyte");
        assertThat(new EventSchemas().validate("blast-alert", json)).isEmpty();
    }

    @Test
    void aFinalThatDoesNotMeetTheRuleSaysSo() {
        BlastRule rule = new BlastRule(2, 0.05, "test");
        BlastAlert a = rule.alert(BlastAlert.Stage.FINAL, new BlastRule.SlideFacts("S1", "S1-1", 100, 0, 0.5,
                List.of(), false, "m1"), List.of(new BlastCell("c1", 0.9, T0, "blast"), new BlastCell("c2", 0.8, T0,
                "blast")), T0);

        assertThat(a.slideRuleMet()).isFalse();
        assertThat(a.alertId()).isEqualTo(BlastAlert.alertId("S1", "S1-1", BlastAlert.Stage.FINAL));
    }
}
