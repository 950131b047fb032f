package org.hemastream.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputCheckTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static ObjectNode cell(String specimen, String cellId, double p, String capturedAt) {
        ObjectNode n = MAPPER.createObjectNode().put("schemaVersion", 1).put("type", "cell-result")
                .put("specimenId", specimen).put("slideId", specimen + "-S1").put("cellId", cellId)
                .put("capturedAt", capturedAt).put("cellType", "blast").put("probability", p);
        n.putObject("probabilities").put("blast", p);
        return n;
    }

    private static ObjectNode alert(String alertId, String specimen, int blasts, String issuedAt) {
        ObjectNode n = MAPPER.createObjectNode().put("schemaVersion", 1).put("type", "blast-alert").put("alertId", alertId)
                .put("specimenId", specimen).put("stage", "final").put("blastCount", blasts).put("issuedAt", issuedAt);
        n.putArray("blastCells").addObject().put("cellId", specimen + "-S1-0001").put("capturedAt", "2026-12-01T09:00:00Z");
        return n;
    }

    private static ObjectNode score(String scoreId, String specimen, String stage, String completeness) {
        ObjectNode n = MAPPER.createObjectNode().put("schemaVersion", 1).put("type", "diagnostic-score").put("scoreId", scoreId)
                .put("specimenId", specimen).put("stage", stage).put("issuedAt", "2026-12-01T10:00:00Z");
        n.putObject("completeness").put("specimen", completeness);
        return n;
    }

    private static ObjectNode deadLetter(String code, String key, String base64, long offset, String at) {
        ObjectNode n = MAPPER.createObjectNode().put("schemaVersion", 1).put("type", "dead-letter").put("errorCode", code)
                .put("deadLetteredAt", at);
        n.putObject("source").put("topic", "lab.cell.captures").put("partition", 1).put("offset", offset).put("key", key);
        n.putObject("original").put("base64", base64);
        return n;
    }

    @Test
    void identicalCopiesAreDuplicatesAndProcessingTimeDoesNotMakeThemDifferent() {
        OutputCheck check = new OutputCheck(1e-5);
        check.add(OutputKind.BLAST_ALERT, alert("a-1", "S1", 84, "2026-12-01T10:00:00Z"));
        check.add(OutputKind.BLAST_ALERT, alert("a-1", "S1", 84, "2026-12-01T10:05:00Z").put("issuedAt", "2026-12-01T10:05:00Z"));
        check.add(OutputKind.DIAGNOSTIC_SCORE, score("s-1", "S1", "final", "complete"));

        OutputCheck.Verdict v = check.verify(null);

        assertThat(v.kinds().get(OutputKind.BLAST_ALERT).duplicated()).isEqualTo(1);
        assertThat(v.kinds().get(OutputKind.BLAST_ALERT).sameIdDifferentContent()).isZero();
        assertThat(v.passed(false)).isFalse();
        assertThat(v.passed(true)).isTrue();
    }

    @Test
    void aFinalAlertRepublishedWithOtherCountsIsSameIdDifferentContentEvenWithDuplicatesAllowed() {
        OutputCheck check = new OutputCheck(1e-5);
        check.add(OutputKind.BLAST_ALERT, alert("a-1", "S1", 84, "2026-12-01T10:00:00Z"));
        check.add(OutputKind.BLAST_ALERT, alert("a-1", "S1", 18, "2026-12-01T10:00:00Z"));
        check.add(OutputKind.DIAGNOSTIC_SCORE, score("s-1", "S1", "final", "complete"));

        OutputCheck.Verdict v = check.verify(null);

        assertThat(v.kinds().get(OutputKind.BLAST_ALERT).sameIdDifferentContent()).isEqualTo(1);
        assertThat(v.kinds().get(OutputKind.BLAST_ALERT).duplicated()).isZero();
        assertThat(v.passed(true)).isFalse();
        assertThat(v.examples()).contains("/blastCount: 84 -> 18");
    }

    @Test
    void againstABaselineCountsLostExtraAndDifferentAndIgnoresInputTimes() {
        OutputCheck baselineRun = new OutputCheck(1e-5);
        baselineRun.add(OutputKind.CELL_RESULT, cell("S1", "S1-S1-0001", 0.9, "2026-12-01T09:00:00Z"));
        baselineRun.add(OutputKind.CELL_RESULT, cell("S1", "S1-S1-0002", 0.8, "2026-12-01T09:00:00Z"));
        baselineRun.add(OutputKind.DIAGNOSTIC_SCORE, score("s-1", "S1", "final", "complete"));
        Baseline baseline = baselineRun.toBaseline();

        OutputCheck faulty = new OutputCheck(1e-5);
        // replayed by the simulator an hour later: other capture times, same classification
        faulty.add(OutputKind.CELL_RESULT, cell("S1", "S1-S1-0001", 0.9, "2026-12-01T10:00:00Z"));
        faulty.add(OutputKind.CELL_RESULT, cell("S1", "S1-S1-0003", 0.8, "2026-12-01T10:00:00Z"));
        faulty.add(OutputKind.DIAGNOSTIC_SCORE, score("s-1", "S1", "final", "partial"));

        OutputCheck.Verdict v = faulty.verify(baseline);

        OutputCheck.KindVerdict cells = v.kinds().get(OutputKind.CELL_RESULT);
        assertThat(cells.expected()).isEqualTo(2);
        assertThat(cells.lost()).isEqualTo(1);
        assertThat(cells.extra()).isEqualTo(1);
        assertThat(cells.differsFromBaseline()).isZero();
        assertThat(v.kinds().get(OutputKind.DIAGNOSTIC_SCORE).differsFromBaseline()).isEqualTo(1);
        assertThat(v.examples()).contains("/completeness/specimen: \"complete\" -> \"partial\"");
        assertThat(v.passed(true)).isFalse();
    }

    @Test
    void aPreliminaryAlertIsComparedWithTheBaselineByIdentityButWithinARunWhole() {
        OutputCheck baselineRun = new OutputCheck(1e-5);
        baselineRun.add(OutputKind.BLAST_ALERT, alert("p-1", "S1", 1, "t").put("stage", "preliminary").put("classifiedCells", 52));
        OutputCheck faulty = new OutputCheck(1e-5);
        faulty.add(OutputKind.BLAST_ALERT, alert("p-1", "S1", 2, "t").put("stage", "preliminary").put("classifiedCells", 60));

        assertThat(faulty.verify(baselineRun.toBaseline()).kinds().get(OutputKind.BLAST_ALERT).violations()).isZero();

        faulty.add(OutputKind.BLAST_ALERT, alert("p-1", "S1", 3, "t").put("stage", "preliminary").put("classifiedCells", 70));
        assertThat(faulty.verify(baselineRun.toBaseline()).kinds().get(OutputKind.BLAST_ALERT).sameIdDifferentContent()).isEqualTo(1);
    }

    @Test
    void withinOneRunACellReplayedWithAnotherCaptureTimeIsDifferentContent() {
        OutputCheck check = new OutputCheck(1e-5);
        check.add(OutputKind.CELL_RESULT, cell("S1", "S1-S1-0001", 0.9, "2026-12-01T09:00:00Z"));
        check.add(OutputKind.CELL_RESULT, cell("S1", "S1-S1-0001", 0.9, "2026-12-01T09:00:01Z"));

        assertThat(check.verify(null).kinds().get(OutputKind.CELL_RESULT).sameIdDifferentContent()).isEqualTo(1);
    }

    @Test
    void probabilitiesWithinToleranceAreTheSameButBeyondItAreNot() {
        OutputCheck check = new OutputCheck(1e-5);
        check.add(OutputKind.CELL_RESULT, cell("S1", "c1", 0.900001, "t"));
        check.add(OutputKind.CELL_RESULT, cell("S1", "c1", 0.900002, "t"));
        check.add(OutputKind.CELL_RESULT, cell("S1", "c2", 0.9, "t"));
        check.add(OutputKind.CELL_RESULT, cell("S1", "c2", 0.91, "t"));

        OutputCheck.KindVerdict v = check.verify(null).kinds().get(OutputKind.CELL_RESULT);

        assertThat(v.duplicated()).isEqualTo(1);
        assertThat(v.sameIdDifferentContent()).isEqualTo(1);
    }

    @Test
    void aSpecimenWithOutputsButNoFinalScoreIsIncomplete() {
        OutputCheck check = new OutputCheck(1e-5);
        check.add(OutputKind.CELL_RESULT, cell("S1", "c1", 0.9, "t"));
        check.add(OutputKind.DIAGNOSTIC_SCORE, score("s-1", "S1", "cbc-only", "open"));
        check.add(OutputKind.CELL_RESULT, cell("S2", "c1", 0.9, "t"));
        check.add(OutputKind.DIAGNOSTIC_SCORE, score("s-2", "S2", "final", "complete"));

        OutputCheck.Verdict v = check.verify(null);

        assertThat(v.incompleteSpecimens()).isEqualTo(1);
        assertThat(v.passed(true)).isFalse();
    }

    @Test
    void deadLettersAreIdentifiedByTheirInputNotByOffsetOrTime() {
        OutputCheck baselineRun = new OutputCheck(1e-5);
        baselineRun.add(OutputKind.DEAD_LETTER, deadLetter("INVALID_JSON", "P-1", "e30=", 10, "2026-12-01T09:00:00Z"));
        OutputCheck faulty = new OutputCheck(1e-5);
        faulty.add(OutputKind.DEAD_LETTER, deadLetter("INVALID_JSON", "P-1", "e30=", 57, "2026-12-01T10:00:00Z"));
        faulty.add(OutputKind.DEAD_LETTER, deadLetter("INVALID_JSON", "P-1", "e30=", 57, "2026-12-01T10:00:09Z"));

        OutputCheck.KindVerdict v = faulty.verify(baselineRun.toBaseline()).kinds().get(OutputKind.DEAD_LETTER);

        assertThat(v.lost()).isZero();
        assertThat(v.extra()).isZero();
        assertThat(v.differsFromBaseline()).isZero();
        assertThat(v.duplicated()).isEqualTo(1);
    }

    @Test
    void aRunThatPublishedTwoContentsUnderOneIdCannotBeABaseline() {
        OutputCheck check = new OutputCheck(1e-5);
        check.add(OutputKind.BLAST_ALERT, alert("a-1", "S1", 84, "t"));
        check.add(OutputKind.BLAST_ALERT, alert("a-1", "S1", 18, "t"));

        assertThatThrownBy(check::toBaseline).isInstanceOf(IllegalStateException.class).hasMessageContaining("clean");
    }

    @Test
    void aBaselineSurvivesItsFileAndTheReportNeverShowsSpecimenIds(@TempDir Path dir) throws Exception {
        OutputCheck run = new OutputCheck(1e-5);
        run.add(OutputKind.CELL_RESULT, cell("MRN-LIKE-42", "MRN-LIKE-42-S1-0001", 0.9, "t"));
        run.add(OutputKind.DIAGNOSTIC_SCORE, score("s-1", "MRN-LIKE-42", "final", "complete"));
        Path file = dir.resolve("baseline.json.gz");
        run.toBaseline().write(file);

        Baseline read = Baseline.read(file);
        OutputCheck.Verdict v = new OutputCheck(1e-5).verify(read);

        assertThat(read.outputs().get(OutputKind.CELL_RESULT)).hasSize(1);
        assertThat(read.specimensWithFinalScore()).containsExactly("MRN-LIKE-42");
        assertThat(v.kinds().get(OutputKind.CELL_RESULT).lost()).isEqualTo(1);
        assertThat(v.incompleteSpecimens()).isEqualTo(1);
        assertThat(v.table() + v.examples()).doesNotContain("MRN-LIKE-42");
    }

    @Test
    void anOutputWithoutItsIdentityIsUnreadable() {
        OutputCheck check = new OutputCheck(1e-5);
        JsonNode noId = MAPPER.createObjectNode().put("type", "blast-alert");
        check.add(OutputKind.BLAST_ALERT, noId);

        assertThat(check.verify(null).kinds().get(OutputKind.BLAST_ALERT).unreadable()).isEqualTo(1);
    }
}
