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
        List<BlastCell> two = List.of(new BlastCell("c1", 0.9, T0, "blast", true), new BlastCell("c2", 0.8, T0, "blast", true));

        assertThat(rule.preliminaryDue(two, 20, false)).as("2 of 20 = 10 %").isTrue();
        assertThat(rule.preliminaryDue(two, 20, true)).as("already sent").isFalse();
        assertThat(rule.finalDue(two, 100, false)).as("2 of 100 = 2 %: not met, nothing to withdraw").isFalse();
        assertThat(rule.finalDue(two, 100, true)).as("a preliminary went out: the final withdraws it").isTrue();
        assertThat(rule.finalDue(two, 40, false)).isTrue();
    }

    @Test
    void configuredValuesOverrideTheModelsRuleOneByOneAndTheOriginSaysWhich() {
        BlastRule fromModel = BlastRule.resolve(MODEL_RULE, null, null, 0.05);
        assertThat(fromModel.minBlastCells()).isEqualTo(3);
        assertThat(fromModel.minBlastFraction()).isEqualTo(0.01);
        assertThat(fromModel.origin()).isEqualTo("model metadata of m2");

        BlastRule cellsOnly = BlastRule.resolve(MODEL_RULE, 1, null, 0.05);
        assertThat(cellsOnly.minBlastCells()).isEqualTo(1);
        assertThat(cellsOnly.minBlastFraction()).isEqualTo(0.01);
        assertThat(cellsOnly.origin()).contains("alerts.minBlastCells").contains("model metadata of m2");

        BlastRule both = BlastRule.resolve(SlideAlertRule.DEFAULT, 5, 0.2, 0);
        assertThat(both.minBlastCells()).isEqualTo(5);
        assertThat(both.minBlastFraction()).isEqualTo(0.2);
        assertThat(both.origin()).startsWith("configuration");

        assertThat(BlastRule.resolve(SlideAlertRule.DEFAULT, null, null, 0).minBlastCells()).isEqualTo(1);
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
                new BlastCell("c1", 0.71, T0, "promyelocyte", true),
                new BlastCell("c2", 0.93, T0, "blast", true),
                new BlastCell("c3", 0.66, T0, "promyelocyte", true));

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
                List.of(), false, "m1"), List.of(new BlastCell("c1", 0.9, T0, "blast", true), new BlastCell("c2", 0.8, T0,
                "blast", true)), T0);

        assertThat(a.slideRuleMet()).isFalse();
        assertThat(a.alertId()).isEqualTo(BlastAlert.alertId("S1", "S1-1", BlastAlert.Stage.FINAL));
    }

    @Test
    void aPromyelocyteExcessPagesEvenWhenNoCellReachesTheBlastThreshold() throws Exception {
        BlastRule rule = new BlastRule(1, 0.0, 0.05, "test");
        Map<String, Double> promyelocyte = Map.of("blast", 0.10, "promyelocyte", 0.85, "myelocyte", 0.05);
        Map<String, Double> unsure = Map.of("blast", 0.10, "promyelocyte", 0.45, "myelocyte", 0.45);

        BlastCell listed = rule.listed("c1", T0, false, promyelocyte, "promyelocyte", 0.85);
        assertThat(listed).isNotNull();
        assertThat(listed.cellType()).isEqualTo("promyelocyte");
        assertThat(listed.flagged()).isFalse();
        assertThat(rule.listed("c2", T0, false, unsure, "promyelocyte", 0.45)).as("not confident").isNull();
        assertThat(new BlastRule(1, 0.0, 0.0, "off").listed("c1", T0, false, promyelocyte, "promyelocyte", 0.85))
                .as("rule off").isNull();

        List<BlastCell> three = List.of(listed, rule.listed("c3", T0, false, promyelocyte, "promyelocyte", 0.85),
                rule.listed("c4", T0, false, promyelocyte, "promyelocyte", 0.85));
        assertThat(rule.met(three.subList(0, 2), 20)).as("fewer than 3 cells").isFalse();
        assertThat(rule.met(three, 60)).as("3 of 60 = 5 %").isTrue();
        assertThat(rule.met(three, 61)).isFalse();

        BlastAlert a = rule.alert(BlastAlert.Stage.FINAL, new BlastRule.SlideFacts("S1", "S1-1", 60, 0, 0.5,
                List.of(), false, "m1"), three, T0);
        assertThat(a.promyelocyteExcess()).isTrue();
        assertThat(a.slideRuleMet()).isTrue();
        assertThat(a.blastCount()).isZero();
        assertThat(a.promyelocyteCount()).isEqualTo(3);
        var json = new ObjectMapper().readTree(new EventWriter().blastAlert(a));
        assertThat(json.get("blastCells").get(0).get("flagged").asBoolean()).isFalse();
        assertThat(new EventSchemas().validate("blast-alert", json)).isEmpty();
    }
}
