package org.hemastream.events;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * Serialises output events to the JSON of their schemas under {@code schemas/}, fields in a fixed
 * order. Written field by field with a streaming generator — no tree per event — to the same bytes a
 * Jackson tree of the same fields gives. Thread-safe.
 */
public final class EventWriter {

    private final JsonFactory factory = new JsonFactory();

    /** Writes one event's fields (the header is already written); the object is closed after it. */
    @FunctionalInterface
    private interface Fields {
        void write(JsonGenerator g) throws IOException;
    }

    public byte[] cellResult(CellResult r) {
        return cellResult(r, null);
    }

    /**
     * @param capture the cell-image record the result was computed from (its partition and offset are written as
     *                {@code capture}, where the review page finds the image), or null when unknown
     */
    public byte[] cellResult(CellResult r, RecordOrigin capture) {
        return event("cell-result", g -> {
            g.writeStringField("specimenId", r.specimenId());
            g.writeStringField("slideId", r.slideId());
            g.writeStringField("cellId", r.cellId());
            g.writeStringField("capturedAt", time(r.capturedAt()));
            g.writeStringField("modelVersion", r.modelVersion());
            g.writeStringField("cellType", r.cellType());
            g.writeNumberField("probability", round(r.probability()));
            g.writeObjectFieldStart("probabilities");
            for (var e : r.probabilities().entrySet()) {
                g.writeNumberField(e.getKey(), round(e.getValue()));
            }
            g.writeEndObject();
            g.writeObjectFieldStart("attributes");
            for (var e : r.attributes().entrySet()) {
                g.writeObjectFieldStart(e.getKey());
                g.writeStringField("value", e.getValue().value());
                g.writeNumberField("probability", round(e.getValue().probability()));
                g.writeEndObject();
            }
            g.writeEndObject();
            g.writeBooleanField("blast", r.blast());
            if (capture != null) {
                g.writeObjectFieldStart("capture");
                g.writeNumberField("partition", capture.partition());
                g.writeNumberField("offset", capture.offset());
                g.writeEndObject();
            }
        });
    }

    public byte[] blastAlert(BlastAlert a) {
        return blastAlert(a, null);
    }

    /** @param reviewUrl the alert's review page, or null for none (no {@code reviewUrl} field) */
    public byte[] blastAlert(BlastAlert a, String reviewUrl) {
        return event("blast-alert", g -> {
            g.writeStringField("alertId", a.alertId());
            g.writeStringField("specimenId", a.specimenId());
            g.writeStringField("slideId", a.slideId());
            g.writeStringField("stage", a.stage().wireName());
            g.writeNumberField("blastCount", a.blastCount());
            g.writeNumberField("promyelocyteCount", a.promyelocyteCount());
            g.writeBooleanField("slideRuleMet", a.slideRuleMet());
            g.writeBooleanField("promyelocyteExcess", a.promyelocyteExcess());
            g.writeNumberField("classifiedCells", a.classifiedCells());
            g.writeNumberField("blastPercent", Math.round(a.blastPercent() * 100) / 100.0);
            g.writeNumberField("threshold", a.threshold());
            g.writeArrayFieldStart("blastCells");
            for (BlastAlert.BlastCell c : a.blastCells()) {
                g.writeStartObject();
                g.writeStringField("cellId", c.cellId());
                g.writeNumberField("probability", round(c.probability()));
                g.writeStringField("cellType", c.cellType());
                g.writeBooleanField("flagged", c.flagged());
                if (c.capturedAt() != null) {
                    g.writeStringField("capturedAt", time(c.capturedAt()));
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("cbcFlags");
            for (String flag : a.cbcFlags()) {
                g.writeString(flag);
            }
            g.writeEndArray();
            g.writeBooleanField("cbcAvailable", a.cbcAvailable());
            g.writeNumberField("lostCells", a.lostCells());
            g.writeStringField("modelVersion", a.modelVersion());
            g.writeStringField("issuedAt", time(a.issuedAt()));
            if (reviewUrl != null) {
                g.writeStringField("reviewUrl", reviewUrl);
            }
        });
    }

    public byte[] diagnosticScore(DiagnosticScore s) {
        return event("diagnostic-score", g -> {
            g.writeStringField("scoreId", s.scoreId());
            g.writeStringField("specimenId", s.specimenId());
            g.writeStringField("stage", s.stage().wireName());
            g.writeObjectFieldStart("probabilities");
            for (var e : s.probabilities().entrySet()) {
                g.writeNumberField(e.getKey(), round(e.getValue()));
            }
            g.writeEndObject();
            g.writeArrayFieldStart("leading");
            for (DiagnosticScore.ClassExplanation e : s.leading()) {
                g.writeStartObject();
                g.writeStringField("diagnosis", e.diagnosis());
                g.writeNumberField("probability", round(e.probability()));
                g.writeArrayFieldStart("contributions");
                for (DiagnosticScore.Contribution c : e.contributions()) {
                    g.writeStartObject();
                    g.writeStringField("feature", c.feature());
                    if (Double.isNaN(c.value())) {
                        g.writeNullField("value");
                    } else {
                        g.writeNumberField("value", Math.round(c.value() * 1e6) / 1e6);
                    }
                    g.writeNumberField("contribution", round(c.contribution()));
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeStringField("diagnosticModelVersion", s.diagnosticModelVersion());
            g.writeStringField("cellModelVersion", s.cellModelVersion());
            DiagnosticScore.Completeness c = s.completeness();
            g.writeObjectFieldStart("completeness");
            g.writeStringField("specimen", c.specimen());
            g.writeArrayFieldStart("reasons");
            for (String reason : c.reasons()) {
                g.writeString(reason);
            }
            g.writeEndArray();
            g.writeBooleanField("cbcAvailable", c.cbcAvailable());
            g.writeNumberField("classifiedCells", c.classifiedCells());
            g.writeEndObject();
            g.writeStringField("issuedAt", time(s.issuedAt()));
        });
    }

    public byte[] deadLetter(DeadLetter d) {
        return event("dead-letter", g -> {
            g.writeStringField("errorCode", d.errorCode().name());
            g.writeStringField("errorMessage", d.errorMessage());
            g.writeStringField("specimenId", d.specimenId());
            RecordOrigin o = d.origin();
            g.writeObjectFieldStart("source");
            g.writeStringField("topic", o.topic());
            g.writeNumberField("partition", o.partition());
            g.writeNumberField("offset", o.offset());
            if (o.timestamp() >= 0) {
                g.writeNumberField("timestamp", o.timestamp());
            } else {
                g.writeNullField("timestamp");
            }
            g.writeStringField("key", o.key());
            g.writeEndObject();
            g.writeObjectFieldStart("original");
            g.writeNumberField("sizeBytes", d.originalSize());
            g.writeBooleanField("truncated", d.truncated());
            g.writeStringField("base64", d.originalBase64());
            g.writeEndObject();
            g.writeStringField("deadLetteredAt", time(d.deadLetteredAt()));
        });
    }

    /** Size in bytes of a dead letter's JSON without the original: what the original may add up to. */
    public int deadLetterOverhead(DeadLetter withoutOriginal) {
        return deadLetter(withoutOriginal).length;
    }

    /**
     * One event object: header, fields, end. Characters first, then UTF-8 as {@code String.getBytes} encodes
     * them, so that text from outside (an error message quoting a record) can never fail the encoding.
     */
    private byte[] event(String type, Fields fields) {
        StringWriter out = new StringWriter(512);
        try (JsonGenerator g = factory.createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("schemaVersion", EventReader.SCHEMA_VERSION);
            g.writeStringField("type", type);
            fields.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serialise " + type, e);
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String time(Instant t) {
        return t.toString();
    }

    /** Probabilities to 6 decimals: enough for review, stable across runs. */
    private static double round(double p) {
        return Math.round(p * 1e6) / 1e6;
    }
}
