package org.hemastream.events;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
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
 *
 * <p>Cost per cell image: the record is stream-parsed from its bytes (no UTF-8 copy of the whole record,
 * no tree node holding the base64 text). The base64 text of {@code image} is copied once, as bytes, into
 * a buffer the thread reuses, and the tree that the JSON Schema validates carries a short stand-in
 * instead — but only when the text is ASCII and within the schema's length bounds for {@code image},
 * the only assertions the schema makes on it, so the verdict is the one the full text would get.
 * Otherwise the full text goes into the tree. The base64 is decoded once, after every other check.
 */
public final class EventReader {

    /** Specimen IDs: 1–64 of {@code [A-Za-z0-9._-]} (DESIGN.md). */
    public static final Pattern SPECIMEN_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    public static final int SCHEMA_VERSION = 1;

    private static final int MAX_MESSAGES = 3;

    private static final String IMAGE = "image";
    /** What the validated tree carries in place of an image's base64 text that meets the schema's bounds. */
    private static final String IMAGE_STAND_IN = "AAAA";
    /** Each thread's buffer for the base64 text of the image being read, grown on demand. */
    private static final ThreadLocal<byte[]> BASE64_TEXT = ThreadLocal.withInitial(() -> new byte[16 * 1024]);

    private final ObjectMapper mapper = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private final EventSchemas schemas;
    private final Map<String, Set<String>> typesByTopic;
    private final int maxImageBytes;
    /** The schema's bounds on the image text, or null when it asserts more about it (no stand-in then). */
    private final EventSchemas.StringBounds imageBounds;

    /**
     * @param typesByTopic  which event types each input topic may carry
     * @param maxImageBytes the largest decoded image accepted, in bytes
     */
    public EventReader(EventSchemas schemas, Map<String, Set<String>> typesByTopic, int maxImageBytes) {
        this.schemas = schemas;
        this.typesByTopic = Map.copyOf(typesByTopic);
        this.maxImageBytes = maxImageBytes;
        this.imageBounds = schemas.plainStringBounds("cell-image", IMAGE);
    }

    /** Reads one record value received on {@code topic} with record key {@code key}. */
    public ReadResult read(String topic, String key, byte[] value) {
        if (value == null) {
            return reject(ErrorCode.NULL_VALUE, "record value is null", null);
        }
        if (!isAscii(value) && !isUtf8(value)) {
            return reject(ErrorCode.NOT_UTF8, "record value is not valid UTF-8", null);
        }
        Parsed parsed;
        try {
            parsed = parse(value);
        } catch (Exception e) {
            return reject(ErrorCode.INVALID_JSON, "invalid JSON: " + firstLine(e.getMessage()), null);
        }
        JsonNode node = parsed.root();
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
                default -> cellImage(node, parsed.imageText());
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

    /** @param imageText the image's base64 text in this thread's buffer, or -1 when the tree holds it */
    private ReadResult cellImage(JsonNode node, int imageText) {
        String specimenId = node.get("specimenId").asText();
        byte[] image;
        try {
            image = imageText < 0 ? Base64.getDecoder().decode(node.get(IMAGE).asText())
                    : exactArray(Base64.getDecoder().decode(ByteBuffer.wrap(BASE64_TEXT.get(), 0, imageText)));
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

    /** The parsed record: its root value, and where the image's base64 text is (-1: in the tree). */
    private record Parsed(JsonNode root, int imageText) {
    }

    /**
     * Reads the whole record as the tree parser would (duplicate keys, syntax errors and the root's type
     * give the same verdicts), except that a plain image text is copied to this thread's buffer and only a
     * stand-in goes into the tree. Content after the root value is ignored, as by {@code readTree}.
     */
    private Parsed parse(byte[] value) throws IOException {
        // Jackson guesses UTF-16/32 from zero bytes or a byte-order mark: such records are read as the UTF-8
        // text they are, as before (and are refused as before).
        try (JsonParser p = startsLikeUtf16Or32OrBom(value) ? mapper.createParser(new String(value, StandardCharsets.UTF_8))
                : mapper.createParser(value)) {
            JsonToken token = p.nextToken();
            if (token != JsonToken.START_OBJECT) {
                return new Parsed(token == null ? null : mapper.readTree(p), -1);
            }
            ObjectNode root = mapper.createObjectNode();
            int imageText = -1;
            for (token = p.nextToken(); token == JsonToken.FIELD_NAME; token = p.nextToken()) {
                String name = p.currentName();
                token = p.nextToken();
                if (IMAGE.equals(name) && token == JsonToken.VALUE_STRING && (imageText = copyPlainText(p)) >= 0) {
                    root.put(name, IMAGE_STAND_IN);
                } else {
                    root.set(name, mapper.readTree(p));
                }
            }
            return new Parsed(root, imageText); // the parser throws on an object left open
        }
    }

    /** Copies the current string to this thread's buffer if it is ASCII and within the bounds; its length, else -1. */
    private int copyPlainText(JsonParser p) throws IOException {
        int length = p.getTextLength();
        if (imageBounds == null || length < imageBounds.min() || length > imageBounds.max()) {
            return -1;
        }
        byte[] buffer = BASE64_TEXT.get();
        if (buffer.length < length) {
            buffer = new byte[Math.max(length, buffer.length * 2)];
            BASE64_TEXT.set(buffer);
        }
        char[] chars = p.getTextCharacters();
        int offset = p.getTextOffset();
        for (int i = 0; i < length; i++) {
            char c = chars[offset + i];
            if (c > 0x7F) {
                return -1; // the schema counts code points: let the validator see the real text
            }
            buffer[i] = (byte) c;
        }
        return length;
    }

    private static byte[] exactArray(ByteBuffer decoded) {
        byte[] array = decoded.array();
        return decoded.arrayOffset() == 0 && decoded.limit() == array.length ? array
                : java.util.Arrays.copyOfRange(array, decoded.arrayOffset(), decoded.arrayOffset() + decoded.limit());
    }

    private static boolean isAscii(byte[] value) {
        for (byte b : value) {
            if (b < 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean isUtf8(byte[] value) {
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(value));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static boolean startsLikeUtf16Or32OrBom(byte[] b) {
        for (int i = 0; i < Math.min(4, b.length); i++) {
            if (b[i] == 0) {
                return true;
            }
        }
        return b.length >= 3 && (b[0] & 0xFF) == 0xEF && (b[1] & 0xFF) == 0xBB && (b[2] & 0xFF) == 0xBF;
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
