package org.hemastream.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * Serialises output events to the JSON of their schemas under {@code schemas/}, fields in a fixed
 * order. Thread-safe.
 */
public final class EventWriter {

    private final ObjectMapper mapper = new ObjectMapper();

    public byte[] cellResult(CellResult r) {
        return cellResult(r, null);
    }

    /**
     * @param capture the cell-image record the result was computed from (its partition and offset are written as
     *                {@code capture}, where the review page finds the image), or null when unknown
     */
    public byte[] cellResult(CellResult r, RecordOrigin capture) {
        ObjectNode n = header("cell-result");
        n.put("specimenId", r.specimenId()).put("slideId", r.slideId()).put("cellId", r.cellId())
                .put("capturedAt", time(r.capturedAt())).put("modelVersion", r.modelVersion())
                .put("cellType", r.cellType()).put("probability", round(r.probability()));
        ObjectNode probs = n.putObject("probabilities");
        r.probabilities().forEach((k, v) -> probs.put(k, round(v)));
        ObjectNode attrs = n.putObject("attributes");
        r.attributes().forEach((k, v) -> attrs.putObject(k).put("value", v.value()).put("probability", round(v.probability())));
        n.put("blast", r.blast());
        if (capture != null) {
            n.putObject("capture").put("partition", capture.partition()).put("offset", capture.offset());
        }
        return bytes(n);
    }

    public byte[] blastAlert(BlastAlert a) {
        return blastAlert(a, null);
    }

    /** @param reviewUrl the alert's review page, or null for none (no {@code reviewUrl} field) */
    public byte[] blastAlert(BlastAlert a, String reviewUrl) {
        ObjectNode n = header("blast-alert");
        n.put("alertId", a.alertId()).put("specimenId", a.specimenId()).put("slideId", a.slideId())
                .put("stage", a.stage().wireName()).put("blastCount", a.blastCount())
                .put("promyelocyteCount", a.promyelocyteCount()).put("slideRuleMet", a.slideRuleMet())
                .put("promyelocyteExcess", a.promyelocyteExcess())
                .put("classifiedCells", a.classifiedCells())
                .put("blastPercent", Math.round(a.blastPercent() * 100) / 100.0)
                .put("threshold", a.threshold());
        ArrayNode cells = n.putArray("blastCells");
        for (BlastAlert.BlastCell c : a.blastCells()) {
            ObjectNode cn = cells.addObject().put("cellId", c.cellId()).put("probability", round(c.probability()))
                    .put("cellType", c.cellType()).put("flagged", c.flagged());
            if (c.capturedAt() != null) {
                cn.put("capturedAt", time(c.capturedAt()));
            }
        }
        ArrayNode flags = n.putArray("cbcFlags");
        a.cbcFlags().forEach(flags::add);
        n.put("cbcAvailable", a.cbcAvailable()).put("lostCells", a.lostCells())
                .put("modelVersion", a.modelVersion()).put("issuedAt", time(a.issuedAt()));
        if (reviewUrl != null) {
            n.put("reviewUrl", reviewUrl);
        }
        return bytes(n);
    }

    public byte[] diagnosticScore(DiagnosticScore s) {
        ObjectNode n = header("diagnostic-score");
        n.put("scoreId", s.scoreId()).put("specimenId", s.specimenId()).put("stage", s.stage().wireName());
        ObjectNode probs = n.putObject("probabilities");
        s.probabilities().forEach((k, v) -> probs.put(k, round(v)));
        ArrayNode leading = n.putArray("leading");
        for (DiagnosticScore.ClassExplanation e : s.leading()) {
            ObjectNode en = leading.addObject().put("diagnosis", e.diagnosis()).put("probability", round(e.probability()));
            ArrayNode cs = en.putArray("contributions");
            for (DiagnosticScore.Contribution c : e.contributions()) {
                ObjectNode cn = cs.addObject().put("feature", c.feature());
                if (Double.isNaN(c.value())) {
                    cn.putNull("value");
                } else {
                    cn.put("value", Math.round(c.value() * 1e6) / 1e6);
                }
                cn.put("contribution", round(c.contribution()));
            }
        }
        n.put("diagnosticModelVersion", s.diagnosticModelVersion()).put("cellModelVersion", s.cellModelVersion());
        DiagnosticScore.Completeness c = s.completeness();
        ObjectNode cn = n.putObject("completeness").put("specimen", c.specimen());
        c.reasons().forEach(cn.putArray("reasons")::add);
        cn.put("cbcAvailable", c.cbcAvailable()).put("classifiedCells", c.classifiedCells());
        n.put("issuedAt", time(s.issuedAt()));
        return bytes(n);
    }

    public byte[] deadLetter(DeadLetter d) {
        ObjectNode n = header("dead-letter");
        n.put("errorCode", d.errorCode().name()).put("errorMessage", d.errorMessage()).put("specimenId", d.specimenId());
        RecordOrigin o = d.origin();
        ObjectNode src = n.putObject("source").put("topic", o.topic()).put("partition", o.partition())
                .put("offset", o.offset());
        if (o.timestamp() >= 0) {
            src.put("timestamp", o.timestamp());
        } else {
            src.putNull("timestamp");
        }
        src.put("key", o.key());
        n.putObject("original").put("sizeBytes", d.originalSize()).put("truncated", d.truncated())
                .put("base64", d.originalBase64());
        n.put("deadLetteredAt", time(d.deadLetteredAt()));
        return bytes(n);
    }

    /** Size in bytes of a dead letter's JSON without the original: what the original may add up to. */
    public int deadLetterOverhead(DeadLetter withoutOriginal) {
        return deadLetter(withoutOriginal).length;
    }

    private ObjectNode header(String type) {
        return mapper.createObjectNode().put("schemaVersion", EventReader.SCHEMA_VERSION).put("type", type);
    }

    private byte[] bytes(ObjectNode n) {
        try {
            return mapper.writeValueAsString(n).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + n.path("type").asText(), e);
        }
    }

    private static String time(Instant t) {
        return t.toString();
    }

    /** Probabilities to 6 decimals: enough for review, stable across runs. */
    private static double round(double p) {
        return Math.round(p * 1e6) / 1e6;
    }
}
