package org.hemastream.events;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns the raw bytes of an input record into a validated {@link InputEvent}, or says exactly why it
 * cannot be used. Checks, in order: value present, UTF-8, JSON object, known type allowed on this
 * topic, schemaVersion, specimenId, JSON Schema, record key = specimenId, image base64 and size.
 * Pure and thread-safe: no Kafka or Vert.x types.
 */
public final class EventReader {

    /** Specimen IDs: 1–64 of {@code [A-Za-z0-9._-]} (DESIGN.md). */
    public static final Pattern SPECIMEN_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    public static final int SCHEMA_VERSION = 1;

    private static final int MAX_MESSAGES = 3;

    private final ObjectMapper mapper = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private final EventSchemas schemas;
    private final Map<String, Set<String>> typesByTopic;
    private final int maxImageBytes;

    /**
     * @param typesByTopic  which event types each input topic may carry
     * @param maxImageBytes the largest decoded image accepted, in bytes
     */
    public EventReader(EventSchemas schemas, Map<String, Set<String>> typesByTopic, int maxImageBytes) {
        this.schemas = schemas;
        this.typesByTopic = Map.copyOf(typesByTopic);
        this.maxImageBytes = maxImageBytes;
    }

    /** Reads one record value received on {@code topic} with record key {@code key}. */
    public ReadResult read(String topic, String key, byte[] value) {
        if (value == null) {
            return reject(ErrorCode.NULL_VALUE, "record value is null", null);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(value)).toString();
        } catch (CharacterCodingException e) {
            return reject(ErrorCode.NOT_UTF8, "record value is not valid UTF-8", null);
        }
        JsonNode node;
        try {
            node = mapper.readTree(text);
        } catch (Exception e) {
            return reject(ErrorCode.INVALID_JSON, "invalid JSON: " + firstLine(e.getMessage()), null);
        }
        if (node == null || !node.isObject()) {
            return reject(ErrorCode.NOT_A_JSON_OBJECT, "expected a JSON object, got "
                    + (node == null || node.isMissingNode() ? "nothing" : node.getNodeType().name().toLowerCase()), null);
        }
        JsonNode typeNode = node.get("type");
        String specimenHint = node.path("specimenId").isTextual() ? node.get("specimenId").asText() : null;
        if (typeNode == null || !typeNode.isTextual()) {
            return reject(ErrorCode.MISSING_EVENT_TYPE, "event has no string field 'type'", specimenHint);
        }
        String type = typeNode.asText();
        if (!List.of("cbc-result", "cell-image", "slide-complete").contains(type)) {
            return reject(ErrorCode.UNKNOWN_EVENT_TYPE, "unknown event type '" + truncate(type) + "'", specimenHint);
        }
        Set<String> allowed = typesByTopic.getOrDefault(topic, Set.of());
        if (!allowed.contains(type)) {
            return reject(ErrorCode.WRONG_TOPIC, "event type '" + type + "' does not belong on topic '" + topic
                    + "' (expected " + String.join(", ", allowed.stream().sorted().toList()) + ")", specimenHint);
        }
        JsonNode version = node.get("schemaVersion");
        if (version != null && version.isNumber() && version.asInt() != SCHEMA_VERSION) {
            return reject(ErrorCode.UNSUPPORTED_SCHEMA_VERSION, "schemaVersion " + version.asText()
                    + " is not supported (supported: " + SCHEMA_VERSION + ")", specimenHint);
        }
        if (specimenHint == null || !SPECIMEN_ID.matcher(specimenHint).matches()) {
            return reject(ErrorCode.INVALID_SPECIMEN_ID, "specimenId "
                    + (specimenHint == null ? "is missing or not a string" : "'" + truncate(specimenHint) + "' is not 1-64 of [A-Za-z0-9._-]"),
                    null);
        }
        List<String> violations = schemas.validate(type, node);
        if (!violations.isEmpty()) {
            return reject(ErrorCode.SCHEMA_VIOLATION, type + ": " + String.join("; ",
                    violations.subList(0, Math.min(MAX_MESSAGES, violations.size())))
                    + (violations.size() > MAX_MESSAGES ? " (+" + (violations.size() - MAX_MESSAGES) + " more)" : ""),
                    specimenHint);
        }
        if (key == null) {
            return reject(ErrorCode.MISSING_KEY, "record has no key; expected '" + specimenHint + "'", specimenHint);
        }
        if (!key.equals(specimenHint)) {
            return reject(ErrorCode.KEY_MISMATCH, "record key '" + truncate(key) + "' differs from the event's specimenId '"
                    + specimenHint + "'", specimenHint);
        }
        try {
            return switch (type) {
                case "cbc-result" -> new ReadResult.Accepted(cbc(node));
                case "slide-complete" -> new ReadResult.Accepted(new SlideComplete(specimenHint, node.get("slideId").asText(),
                        node.get("cellCount").asInt(), Instant.parse(node.get("completedAt").asText())));
                default -> cellImage(node);
            };
        } catch (DateTimeParseException e) {
            // The schema's date-time format is RFC 3339; Instant.parse wants an offset of Z or +hh:mm.
            return reject(ErrorCode.SCHEMA_VIOLATION, type + ": timestamp not in ISO-8601 instant form: "
                    + truncate(e.getParsedString()), specimenHint);
        }
    }

    private CbcResult cbc(JsonNode node) {
        Map<String, CbcResult.Measurement> parameters = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = node.get("parameters").fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            parameters.put(f.getKey(), new CbcResult.Measurement(f.getValue().get("value").asDouble(),
                    f.getValue().get("unit").asText()));
        }
        List<String> flags = new ArrayList<>();
        node.path("flags").forEach(f -> flags.add(f.asText()));
        JsonNode analyzer = node.path("analyzer");
        return new CbcResult(node.get("specimenId").asText(), Instant.parse(node.get("measuredAt").asText()),
                analyzer.path("model").asText(null), analyzer.path("serial").asText(null), parameters, flags);
    }

    private ReadResult cellImage(JsonNode node) {
        String specimenId = node.get("specimenId").asText();
        byte[] image;
        try {
            image = Base64.getDecoder().decode(node.get("image").asText());
        } catch (IllegalArgumentException e) {
            return reject(ErrorCode.INVALID_BASE64, "image is not valid base64: " + e.getMessage(), specimenId);
        }
        if (image.length == 0) {
            return reject(ErrorCode.IMAGE_EMPTY, "image has no bytes", specimenId);
        }
        if (image.length > maxImageBytes) {
            return reject(ErrorCode.IMAGE_TOO_LARGE, "image is " + image.length + " bytes, more than the allowed "
                    + maxImageBytes, specimenId);
        }
        return new ReadResult.Accepted(new CellImage(specimenId, node.get("slideId").asText(),
                node.get("cellId").asText(), Instant.parse(node.get("capturedAt").asText()), image));
    }

    private static ReadResult reject(ErrorCode code, String message, String specimenId) {
        return new ReadResult.Rejected(code, message, specimenId);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return truncate(nl < 0 ? s : s.substring(0, nl));
    }

    private static String truncate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "…";
    }
}
