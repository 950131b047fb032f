package org.hemastream.faults;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The four kinds of output hemastream publishes, with what identifies one output and which of its
 * fields may differ without the output being a different one. Read from the event records in
 * {@code org.hemastream.events} and the schemas under {@code schemas/}:
 *
 * <ul>
 *   <li>{@code cell-result}: one per (specimenId, slideId, cellId); no processing time in it.</li>
 *   <li>{@code blast-alert}: {@code alertId}, a name-based UUID of (specimen, slide, stage);
 *       {@code issuedAt} is processing time.</li>
 *   <li>{@code diagnostic-score}: {@code scoreId}, a name-based UUID of (specimen, stage);
 *       {@code issuedAt} is processing time.</li>
 *   <li>{@code dead-letter}: the input record it stands for — source topic, key and the original
 *       bytes (their SHA-256); {@code deadLetteredAt} is processing time.</li>
 * </ul>
 *
 * <p>Two sets of fields are left out of a comparison: <b>processing-time</b> fields always (a
 * re-send of the same output at another moment is the same output), and <b>input-echo</b> fields
 * only when comparing with a baseline from another run — values copied from the input records that a
 * second replay of the same specimens legitimately changes (the simulator stamps cells with the time
 * it sends them; Kafka gives records new offsets and timestamps).
 *
 * <p>A <b>preliminary</b> blast alert is raised at the first confirmation of a blast; how many cells
 * had been classified (or lost) by then depends on how the cells were batched, so against a baseline
 * only its identity and existence count ({@link #PRELIMINARY_PROGRESS_FIELDS} are left out). Within one
 * run it is compared whole: a re-sent preliminary alert with other counts is a different output.
 */
public enum OutputKind {
    CELL_RESULT("cell-result", "hema.cell-results", List.of(), List.of("capturedAt", "capture.partition", "capture.offset")),
    BLAST_ALERT("blast-alert", "hema.blast-alerts", List.of("issuedAt"), List.of("blastCells[].capturedAt")),
    DIAGNOSTIC_SCORE("diagnostic-score", "hema.diagnostic-scores", List.of("issuedAt"), List.of()),
    DEAD_LETTER("dead-letter", "hema.dead-letters", List.of("deadLetteredAt"),
            List.of("source.partition", "source.offset", "source.timestamp"));

    /** Fields of a preliminary alert that depend on batching, left out against a baseline. */
    public static final List<String> PRELIMINARY_PROGRESS_FIELDS = List.of("blastCount", "classifiedCells", "blastPercent",
            "blastCells", "cbcFlags", "cbcAvailable", "lostCells", "promyelocyteCount", "promyelocyteExcess",
            "slideRuleMet");

    private final String eventType;
    private final String defaultTopic;
    private final List<String> processingTimeFields;
    private final List<String> inputEchoFields;

    OutputKind(String eventType, String defaultTopic, List<String> processingTimeFields, List<String> inputEchoFields) {
        this.eventType = eventType;
        this.defaultTopic = defaultTopic;
        this.processingTimeFields = processingTimeFields;
        this.inputEchoFields = inputEchoFields;
    }

    public String eventType() {
        return eventType;
    }

    public String defaultTopic() {
        return defaultTopic;
    }

    /** Fields never compared: when the service produced the output. */
    public List<String> processingTimeFields() {
        return processingTimeFields;
    }

    /** Fields compared within a run but not with a baseline from another run. */
    public List<String> inputEchoFields() {
        return inputEchoFields;
    }

    /** A short name for tables: {@code cell-results}, {@code blast-alerts}, … */
    public String plural() {
        return eventType + "s";
    }

    /**
     * The identity of an output of this kind.
     *
     * @throws IllegalArgumentException when the event lacks the fields its identity is made of
     */
    public String idOf(JsonNode event) {
        return switch (this) {
            case CELL_RESULT -> required(event, "specimenId") + "/" + required(event, "slideId") + "/" + required(event, "cellId");
            case BLAST_ALERT -> required(event, "alertId");
            case DIAGNOSTIC_SCORE -> required(event, "scoreId");
            case DEAD_LETTER -> event.path("source").path("topic").asText("?") + "/" + event.path("source").path("key").asText("")
                    + "/" + sha256(event.path("original").path("base64").asText(""));
        };
    }

    /** The specimen an output belongs to, or null (dead letters of unreadable input). */
    public String specimenOf(JsonNode event) {
        JsonNode s = event.get("specimenId");
        return s == null || s.isNull() ? null : s.asText();
    }

    /** Whether this output is the final word on its specimen: a {@code final} diagnostic score. */
    public boolean isFinalScore(JsonNode event) {
        return this == DIAGNOSTIC_SCORE && "final".equals(event.path("stage").asText());
    }

    /** A copy of {@code event} without processing-time fields, and without input echoes if asked. */
    public JsonNode comparable(JsonNode event, boolean withoutInputEchoes) {
        JsonNode copy = event.deepCopy();
        processingTimeFields.forEach(path -> remove(copy, path));
        if (withoutInputEchoes) {
            inputEchoFields.forEach(path -> remove(copy, path));
            if (this == BLAST_ALERT && "preliminary".equals(event.path("stage").asText())) {
                PRELIMINARY_PROGRESS_FIELDS.forEach(path -> remove(copy, path));
            }
        }
        return copy;
    }

    /** The kind whose {@code type} field is {@code type}, or null. */
    public static OutputKind ofEventType(String type) {
        for (OutputKind k : values()) {
            if (k.eventType.equals(type)) {
                return k;
            }
        }
        return null;
    }

    /** The kind written on topic {@code topic} with the default topic names, or null. */
    public static OutputKind ofDefaultTopic(String topic) {
        for (OutputKind k : values()) {
            if (k.defaultTopic.equals(topic)) {
                return k;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }

    private static String required(JsonNode event, String field) {
        JsonNode v = event.get(field);
        if (v == null || v.isNull() || v.asText().isEmpty()) {
            throw new IllegalArgumentException("output has no '" + field + "'");
        }
        return v.asText();
    }

    /** Removes a dotted path; {@code a[].b} removes {@code b} from every element of array {@code a}. */
    private static void remove(JsonNode node, String path) {
        int dot = path.indexOf('.');
        String head = dot < 0 ? path : path.substring(0, dot);
        String rest = dot < 0 ? null : path.substring(dot + 1);
        if (!(node instanceof ObjectNode object)) {
            return;
        }
        if (rest == null) {
            object.remove(head);
        } else if (head.endsWith("[]")) {
            JsonNode array = object.get(head.substring(0, head.length() - 2));
            if (array instanceof ArrayNode elements) {
                elements.forEach(e -> remove(e, rest));
            }
        } else {
            remove(object.get(head), rest);
        }
    }

    static String sha256(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from this JVM", e);
        }
    }
}
