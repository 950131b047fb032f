package org.hemastream.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * The streaming writer writes the bytes the tree-based writer wrote before issue 10 (the expected strings
 * are that writer's output for the same events); a blast alert, whose fields change more often, is checked
 * against its schema and against a tree of the same fields.
 */
class EventWriterTest {

    private final EventWriter writer = new EventWriter();
    private final EventSchemas schemas = new EventSchemas();

    @Test
    void cellResultIsWrittenFieldByFieldAsTheTreeWriterDid() throws Exception {
        Map<String, Double> probabilities = new LinkedHashMap<>();
        probabilities.put("blast", 0.123456789);
        probabilities.put("lymphocyte", 1e-9);
        probabilities.put("monocyte", 0.8765432);
        Map<String, CellResult.AttributeCall> attributes = new LinkedHashMap<>();
        attributes.put("nucleus_shape", new CellResult.AttributeCall("round", 0.5));
        attributes.put("granularity", new CellResult.AttributeCall("fine \"grains\" \u00e9", 0.99999949));
        CellResult r = new CellResult("S-1", "S-1-1", "S-1-1-0007", Instant.parse("2026-11-26T08:21:40.512Z"),
                "cellnet-2.0.0", "monocyte", 0.8765432, probabilities, attributes, false);

        assertThat(text(writer.cellResult(r))).isEqualTo(
                "{\"schemaVersion\":1,\"type\":\"cell-result\",\"specimenId\":\"S-1\",\"slideId\":\"S-1-1\",\"cellId\":\"S-1-1-0007\",\"capturedAt\":\"2026-11-26T08:21:40.512Z\",\"modelVersion\":\"cellnet-2.0.0\",\"cellType\":\"monocyte\",\"probability\":0.876543,\"probabilities\":{\"blast\":0.123457,\"lymphocyte\":0.0,\"monocyte\":0.876543},\"attributes\":{\"nucleus_shape\":{\"value\":\"round\",\"probability\":0.5},\"granularity\":{\"value\":\"fine \\\"grains\\\" é\",\"probability\":0.999999}},\"blast\":false}");
    }

    @Test
    void deadLettersKeepNullsAndReplaceABrokenCharacterAsBefore() {
        RecordOrigin captured = new RecordOrigin("lab.cell.captures", 2, 12345678901L, 1764145300512L, "S-1");
        RecordOrigin tombstone = new RecordOrigin("lab.cbc.results", 0, 7, -1, null);

        assertThat(text(writer.deadLetter(DeadLetter.of(ErrorCode.INVALID_BASE64,
                "image is not valid base64: Illegal base64 character 25 \u2014 \u00e9\ud83d", "S-1", captured,
                new byte[]{1, 2, 3, (byte) 0xFF}, 1000, Instant.parse("2026-11-26T08:21:41Z"))))).isEqualTo(
                "{\"schemaVersion\":1,\"type\":\"dead-letter\",\"errorCode\":\"INVALID_BASE64\",\"errorMessage\":\"image is not valid base64: Illegal base64 character 25 — é?\",\"specimenId\":\"S-1\",\"source\":{\"topic\":\"lab.cell.captures\",\"partition\":2,\"offset\":12345678901,\"timestamp\":1764145300512,\"key\":\"S-1\"},\"original\":{\"sizeBytes\":4,\"truncated\":false,\"base64\":\"AQID/w==\"},\"deadLetteredAt\":\"2026-11-26T08:21:41Z\"}");
        assertThat(text(writer.deadLetter(DeadLetter.of(ErrorCode.NULL_VALUE, "record value is null", null, tombstone,
                null, 1000, Instant.parse("2026-11-26T08:21:41.000000123Z"))))).isEqualTo(
                "{\"schemaVersion\":1,\"type\":\"dead-letter\",\"errorCode\":\"NULL_VALUE\",\"errorMessage\":\"record value is null\",\"specimenId\":null,\"source\":{\"topic\":\"lab.cbc.results\",\"partition\":0,\"offset\":7,\"timestamp\":null,\"key\":null},\"original\":{\"sizeBytes\":0,\"truncated\":false,\"base64\":null},\"deadLetteredAt\":\"2026-11-26T08:21:41.000000123Z\"}");
    }

    @Test
    void diagnosticScoresWriteAMissingFeatureValueAsNull() {
        DiagnosticScore s = new DiagnosticScore("sid", "S-1", DiagnosticScore.Stage.values()[0], Map.of("aml", 0.25),
                List.of(new DiagnosticScore.ClassExplanation("aml", 0.25, List.of(
                        new DiagnosticScore.Contribution("WBC", Double.NaN, -0.5),
                        new DiagnosticScore.Contribution("blast_fraction", 0.1234567891, 1.0)))),
                "dx-1", "cellnet-2.0.0", new DiagnosticScore.Completeness("partial", List.of("no-smear"), true, 0),
                Instant.parse("2026-11-26T08:21:41Z"));

        assertThat(text(writer.diagnosticScore(s))).isEqualTo(
                "{\"schemaVersion\":1,\"type\":\"diagnostic-score\",\"scoreId\":\"sid\",\"specimenId\":\"S-1\",\"stage\":\"cbc-only\",\"probabilities\":{\"aml\":0.25},\"leading\":[{\"diagnosis\":\"aml\",\"probability\":0.25,\"contributions\":[{\"feature\":\"WBC\",\"value\":null,\"contribution\":-0.5},{\"feature\":\"blast_fraction\",\"value\":0.123457,\"contribution\":1.0}]}],\"diagnosticModelVersion\":\"dx-1\",\"cellModelVersion\":\"cellnet-2.0.0\",\"completeness\":{\"specimen\":\"partial\",\"reasons\":[\"no-smear\"],\"cbcAvailable\":true,\"classifiedCells\":0},\"issuedAt\":\"2026-11-26T08:21:41Z\"}");
    }

    @Test
    void blastAlertsAreValidUnderTheirSchemaAndWrittenAsATreeWouldBe() throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        BlastAlert alert = new BlastAlert(BlastAlert.alertId("S-1", "S-1-1", BlastAlert.Stage.values()[0]), "S-1", "S-1-1", BlastAlert.Stage.values()[0], 2, 50, 13.3333, 0.5,
                List.of(new BlastAlert.BlastCell("c1", 0.91234567, Instant.parse("2026-11-26T08:21:40.512Z"), "blast", true),
                        new BlastAlert.BlastCell("c2", 0.55, null, "promyelocyte", false)),
                List.of("Blasts?"), true, 1, "cellnet-2.0.0", Instant.parse("2026-11-26T08:21:42Z"), 1, true, false);
        var json = mapper.readTree(writer.blastAlert(alert));

        assertThat(schemas.validate("blast-alert", json)).isEmpty();
        assertThat(json.get("blastPercent").asDouble()).isEqualTo(13.33);
        assertThat(json.get("blastCells").get(1).has("capturedAt")).isFalse();
        assertThat(mapper.writeValueAsString(json)).as("what a tree of the same fields gives")
                .isEqualTo(text(writer.blastAlert(alert)));
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
