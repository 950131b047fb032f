package org.hemastream.sim;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Encodes what the analyzer line sends — {@code cbc-result}, {@code cell-image}, {@code slide-complete}
 * — as the UTF-8 JSON of their schemas under {@code schemas/}, fields in a fixed order, so the same
 * input gives the same bytes. Thread-safe.
 */
public final class AnalyzerMessages {

    /** The analyzer model named in simulated CBC results. */
    public static final String ANALYZER_MODEL = "XN-9000";
    /** The serial of the simulated analyzer: says plainly that the result is simulated. */
    public static final String ANALYZER_SERIAL = "XN-SIMULATED";
    private static final int SCHEMA_VERSION = 1;

    private final ObjectMapper mapper = new ObjectMapper();

    /** The {@code cbc-result} of a specimen, measured at {@code measuredAt}. */
    public byte[] cbcResult(String specimenId, SyntheticCbc cbc, Instant measuredAt) {
        ObjectNode n = header("cbc-result").put("specimenId", specimenId).put("measuredAt", measuredAt.toString());
        n.putObject("analyzer").put("model", ANALYZER_MODEL).put("serial", ANALYZER_SERIAL);
        n.set("parameters", parameters(cbc));
        ArrayNode flags = n.putArray("flags");
        cbc.flags().forEach(flags::add);
        return bytes(n);
    }

    /** The CBC's parameters as the schema's {@code code → {value, unit}} object (also the pack manifest's). */
    ObjectNode parameters(SyntheticCbc cbc) {
        ObjectNode params = mapper.createObjectNode();
        // BigDecimal keeps the analyzer's resolution on the wire: 6.50, 90.0, 41.
        cbc.parameters().forEach((code, v) -> params.putObject(code).put("value", v).put("unit", SyntheticCbc.unit(code)));
        return params;
    }

    /** One {@code cell-image}: the image file is sent as it is, base64-encoded. */
    public byte[] cellImage(String specimenId, String slideId, String cellId, Instant capturedAt, byte[] image) {
        ObjectNode n = header("cell-image").put("specimenId", specimenId).put("slideId", slideId)
                .put("cellId", cellId).put("capturedAt", capturedAt.toString())
                .put("image", Base64.getEncoder().encodeToString(image));
        return bytes(n);
    }

    /** The {@code slide-complete} marker after the last of {@code cellCount} cell images. */
    public byte[] slideComplete(String specimenId, String slideId, int cellCount, Instant completedAt) {
        ObjectNode n = header("slide-complete").put("specimenId", specimenId).put("slideId", slideId)
                .put("cellCount", cellCount).put("completedAt", completedAt.toString());
        return bytes(n);
    }

    private ObjectNode header(String type) {
        return mapper.createObjectNode().put("schemaVersion", SCHEMA_VERSION).put("type", type);
    }

    private byte[] bytes(ObjectNode n) {
        try {
            return mapper.writeValueAsString(n).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + n.path("type").asText(), e);
        }
    }
}
