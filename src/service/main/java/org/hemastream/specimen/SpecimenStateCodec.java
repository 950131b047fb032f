package org.hemastream.specimen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.hemastream.alerts.BlastRule;
import org.hemastream.events.BlastAlert.BlastCell;
import org.hemastream.events.CbcResult;
import org.hemastream.events.CellResult;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The changelog's wire format of a {@link SpecimenState}: JSON with {@code stateVersion: 2}. Version 2 adds,
 * to each listed cell of a slide, the type it is named ({@code cellType}: blast or promyelocyte) and whether
 * P(blast) reached the threshold ({@code flagged}; false for a promyelocyte listed only by the
 * promyelocyte-excess rule), so that a restored slide applies the slide alert rule and writes its alerts
 * exactly as one that never left memory. Version 1 records (written before the cells work, when every
 * listed cell was a flagged blast) are still read, their cells as flagged blasts. Doubles
 * round-trip exactly (Jackson writes the shortest representation), so outputs derived from a restored
 * specimen are identical to those of one that never left memory. Thread-safe.
 */
public final class SpecimenStateCodec {

    public static final int STATE_VERSION = 2;
    /** The first version: listed cells without {@code cellType} and {@code flagged} (all flagged blasts). */
    static final int STATE_VERSION_1 = 1;
    private final ObjectMapper mapper = new ObjectMapper();

    public byte[] encode(SpecimenState s) {
        ObjectNode n = mapper.createObjectNode().put("stateVersion", STATE_VERSION).put("specimenId", s.specimenId())
                .put("partition", s.partition()).put("closed", s.closed());
        putInstant(n, "firstSeen", s.firstSeen());
        putInstant(n, "cbcScoredAt", s.cbcScoredAt());
        if (s.cbc() != null) {
            n.set("cbc", cbc(s.cbc()));
        }
        ArrayNode slides = n.putArray("slides");
        for (SpecimenState.SlideState sl : s.slides()) {
            ObjectNode o = slides.addObject().put("slideId", sl.slideId()).put("expectedCells", sl.expectedCells())
                    .put("preliminarySent", sl.preliminarySent()).put("finalSent", sl.finalSent())
                    .put("modelVersion", sl.modelVersion());
            ArrayNode cells = o.putArray("classified");
            sl.classified().forEach(c -> cells.add(cell(c)));
            ArrayNode lost = o.putArray("lost");
            sl.lost().forEach(lost::add);
            ArrayNode blasts = o.putArray("blasts");
            for (BlastCell b : sl.blasts()) {
                ObjectNode bn = blasts.addObject().put("cellId", b.cellId()).put("probability", b.probability());
                putInstant(bn, "capturedAt", b.capturedAt());
                bn.put("cellType", b.cellType()).put("flagged", b.flagged());
            }
        }
        try {
            return mapper.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @throws IllegalArgumentException when the bytes are not a state record of a known version */
    public SpecimenState decode(byte[] bytes) {
        JsonNode n;
        try {
            n = mapper.readTree(bytes);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a specimen-state record: " + e.getMessage(), e);
        }
        int version = n == null ? -1 : n.path("stateVersion").asInt(-1);
        if (version != STATE_VERSION && version != STATE_VERSION_1) {
            throw new IllegalArgumentException("unknown specimen-state version " + (n == null ? null : n.path("stateVersion")));
        }
        List<SpecimenState.SlideState> slides = new ArrayList<>();
        for (JsonNode o : n.path("slides")) {
            List<CellResult> classified = new ArrayList<>();
            o.path("classified").forEach(c -> classified.add(cell(c)));
            List<String> lost = new ArrayList<>();
            o.path("lost").forEach(l -> lost.add(l.asText()));
            List<BlastCell> blasts = new ArrayList<>();
            o.path("blasts").forEach(b -> blasts.add(new BlastCell(b.path("cellId").asText(),
                    b.path("probability").asDouble(), instant(b, "capturedAt"),
                    b.hasNonNull("cellType") ? b.get("cellType").asText() : BlastRule.BLAST,
                    b.path("flagged").asBoolean(true))));
            slides.add(new SpecimenState.SlideState(o.path("slideId").asText(), classified, lost, blasts,
                    o.path("expectedCells").asInt(-1), o.path("preliminarySent").asBoolean(),
                    o.path("finalSent").asBoolean(), o.path("modelVersion").asText("")));
        }
        return new SpecimenState(n.path("specimenId").asText(), n.path("partition").asInt(), n.path("closed").asBoolean(),
                instant(n, "firstSeen"), n.hasNonNull("cbc") ? cbc(n.get("cbc")) : null, instant(n, "cbcScoredAt"), slides);
    }

    private ObjectNode cbc(CbcResult c) {
        ObjectNode n = mapper.createObjectNode().put("specimenId", c.specimenId());
        putInstant(n, "measuredAt", c.measuredAt());
        n.put("analyzerModel", c.analyzerModel()).put("analyzerSerial", c.analyzerSerial());
        ArrayNode params = n.putArray("parameters");
        c.parameters().forEach((code, m) -> params.addObject().put("code", code).put("value", m.value()).put("unit", m.unit()));
        ArrayNode flags = n.putArray("flags");
        c.flags().forEach(flags::add);
        return n;
    }

    private static CbcResult cbc(JsonNode n) {
        Map<String, CbcResult.Measurement> params = new LinkedHashMap<>();
        n.path("parameters").forEach(p -> params.put(p.path("code").asText(),
                new CbcResult.Measurement(p.path("value").asDouble(), p.hasNonNull("unit") ? p.get("unit").asText() : null)));
        List<String> flags = new ArrayList<>();
        n.path("flags").forEach(f -> flags.add(f.asText()));
        return new CbcResult(n.path("specimenId").asText(), instant(n, "measuredAt"), text(n, "analyzerModel"),
                text(n, "analyzerSerial"), params, flags);
    }

    private ObjectNode cell(CellResult c) {
        ObjectNode n = mapper.createObjectNode().put("specimenId", c.specimenId()).put("slideId", c.slideId())
                .put("cellId", c.cellId());
        putInstant(n, "capturedAt", c.capturedAt());
        n.put("modelVersion", c.modelVersion()).put("cellType", c.cellType()).put("probability", c.probability())
                .put("blast", c.blast());
        ObjectNode p = n.putObject("probabilities");
        c.probabilities().forEach(p::put);
        ObjectNode a = n.putObject("attributes");
        c.attributes().forEach((k, v) -> a.putObject(k).put("value", v.value()).put("probability", v.probability()));
        return n;
    }

    private static CellResult cell(JsonNode n) {
        Map<String, Double> probabilities = new LinkedHashMap<>();
        n.path("probabilities").fields().forEachRemaining(e -> probabilities.put(e.getKey(), e.getValue().asDouble()));
        Map<String, CellResult.AttributeCall> attributes = new LinkedHashMap<>();
        n.path("attributes").fields().forEachRemaining(e -> attributes.put(e.getKey(),
                new CellResult.AttributeCall(e.getValue().path("value").asText(), e.getValue().path("probability").asDouble())));
        return new CellResult(n.path("specimenId").asText(), n.path("slideId").asText(), n.path("cellId").asText(),
                instant(n, "capturedAt"), n.path("modelVersion").asText(), n.path("cellType").asText(),
                n.path("probability").asDouble(), probabilities, attributes, n.path("blast").asBoolean());
    }

    private static void putInstant(ObjectNode n, String field, Instant t) {
        if (t != null) {
            n.put(field, t.toString());
        }
    }

    private static Instant instant(JsonNode n, String field) {
        return n.hasNonNull(field) ? Instant.parse(n.get(field).asText()) : null;
    }

    private static String text(JsonNode n, String field) {
        return n.hasNonNull(field) ? n.get(field).asText() : null;
    }
}
