package org.hemastream.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.hemastream.events.ErrorCode;
import org.hemastream.kafka.KafkaBroker;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class DeadLetterPipelineTest extends PipelineTestBase {

    private record Bad(String what, String topic, String key, byte[] value, ErrorCode expected) {
    }

    @Test
    void everyKindOfBadInputReachesTheDeadLetterTopicWithItsReasonAndGoodEventsAfterThemAreProcessed(KafkaBroker broker)
            throws Exception {
        PipelineHarness h = harness(broker, Map.of("inference.maxImageBytes", "40000"));
        h.start(PipelineHarness.classifier());
        String cbc = h.config.topics().cbc();
        String cap = h.config.topics().captures();
        byte[] jpeg = TestCells.labelled("lymphocyte", "PBC").get(0).jpeg();
        String sp = "BAD-1";
        List<Bad> bad = new ArrayList<>();
        bad.add(new Bad("tombstone", cap, sp, null, ErrorCode.NULL_VALUE));
        bad.add(new Bad("latin-1 bytes", cap, sp, new byte[]{'{', (byte) 0xE9, '}'}, ErrorCode.NOT_UTF8));
        bad.add(new Bad("truncated JSON", cap, sp, "{\"type\":\"cell-image\"".getBytes(), ErrorCode.INVALID_JSON));
        bad.add(new Bad("duplicate keys", cap, sp, "{\"type\":\"cell-image\",\"type\":\"x\"}".getBytes(), ErrorCode.INVALID_JSON));
        bad.add(new Bad("JSON array", cap, sp, "[1,2,3]".getBytes(), ErrorCode.NOT_A_JSON_OBJECT));
        bad.add(new Bad("JSON number", cbc, sp, "42".getBytes(), ErrorCode.NOT_A_JSON_OBJECT));
        bad.add(new Bad("no type", cap, sp, json(h.cell(sp, "S1", "c1", jpeg).without("type")), ErrorCode.MISSING_EVENT_TYPE));
        bad.add(new Bad("unknown type", cap, sp, json(h.cell(sp, "S1", "c1", jpeg).put("type", "urinalysis")), ErrorCode.UNKNOWN_EVENT_TYPE));
        bad.add(new Bad("CBC on the captures topic", cap, sp, json(h.cbc(sp)), ErrorCode.WRONG_TOPIC));
        bad.add(new Bad("cell on the CBC topic", cbc, sp, json(h.cell(sp, "S1", "c1", jpeg)), ErrorCode.WRONG_TOPIC));
        bad.add(new Bad("schemaVersion 2", cap, sp, json(h.cell(sp, "S1", "c1", jpeg).put("schemaVersion", 2)), ErrorCode.UNSUPPORTED_SCHEMA_VERSION));
        bad.add(new Bad("specimen ID with a space", cap, "BAD 1", json(h.cell("BAD 1", "S1", "c1", jpeg)), ErrorCode.INVALID_SPECIMEN_ID));
        String longId = "X".repeat(65);
        bad.add(new Bad("specimen ID of 65 chars", cap, longId, json(h.cell(longId, "S1", "c1", jpeg)), ErrorCode.INVALID_SPECIMEN_ID));
        bad.add(new Bad("no cellId", cap, sp, json(h.cell(sp, "S1", "c1", jpeg).without("cellId")), ErrorCode.SCHEMA_VIOLATION));
        bad.add(new Bad("capturedAt not a time", cap, sp, json(h.cell(sp, "S1", "c1", jpeg).put("capturedAt", "noon")), ErrorCode.SCHEMA_VIOLATION));
        bad.add(new Bad("negative cellCount", cap, sp, json(h.slideComplete(sp, "S1", 3).put("cellCount", -3)), ErrorCode.SCHEMA_VIOLATION));
        bad.add(new Bad("unexpected field", cap, sp, json(h.slideComplete(sp, "S1", 3).put("operator", "jd")), ErrorCode.SCHEMA_VIOLATION));
        ObjectNode noUnit = h.cbc(sp);
        ((ObjectNode) noUnit.get("parameters").get("WBC")).remove("unit");
        bad.add(new Bad("CBC parameter without unit", cbc, sp, json(noUnit), ErrorCode.SCHEMA_VIOLATION));
        ObjectNode textValue = h.cbc(sp);
        ((ObjectNode) textValue.get("parameters").get("HGB")).put("value", "low");
        bad.add(new Bad("CBC value as text", cbc, sp, json(textValue), ErrorCode.SCHEMA_VIOLATION));
        bad.add(new Bad("no record key", cbc, null, json(h.cbc(sp)), ErrorCode.MISSING_KEY));
        bad.add(new Bad("key of another specimen", cbc, "OTHER-1", json(h.cbc(sp)), ErrorCode.KEY_MISMATCH));
        bad.add(new Bad("image not base64", cap, sp, json(h.cell(sp, "S1", "c1", jpeg).put("image", "$$$$")), ErrorCode.INVALID_BASE64));
        bad.add(new Bad("oversize image", cap, sp, json(h.cell(sp, "S1", "big", new byte[50_000])), ErrorCode.IMAGE_TOO_LARGE));
        bad.add(new Bad("text instead of an image", cap, sp,
                json(h.cell(sp, "S1", "txt", "hello, I am not a picture".getBytes(StandardCharsets.UTF_8))), ErrorCode.IMAGE_NOT_AN_IMAGE));
        bad.add(new Bad("truncated JPEG", cap, sp, json(h.cell(sp, "S1", "trunc", Arrays.copyOf(jpeg, jpeg.length / 2))), ErrorCode.IMAGE_CORRUPT));
        bad.add(new Bad("PNG declaring 60000x60000", cap, sp, json(h.cell(sp, "S1", "bomb", pngHeader(60_000, 60_000))), ErrorCode.IMAGE_TOO_MANY_PIXELS));

        for (Bad b : bad) {
            h.send(b.topic(), b.key(), b.value());
        }
        // good events after the bad ones, including on the same specimen
        h.send(cbc, sp, h.cbc(sp));
        h.send(cap, sp, h.cell(sp, "S1", "good-1", jpeg));
        h.send(cap, sp, h.slideComplete(sp, "S1", 4));
        // a cell after its slide completed is a late cell
        await().atMost(Duration.ofSeconds(60)).until(() -> h.cellResults().size() >= 1);
        await().atMost(Duration.ofSeconds(60)).until(() -> h.deadLetters().size() >= bad.size());
        h.send(cap, sp, h.cell(sp, "S1", "late-1", jpeg));

        await().atMost(Duration.ofSeconds(60)).until(() -> h.deadLetters().size() >= bad.size() + 1);
        List<JsonNode> letters = h.deadLetters();
        assertThat(letters).hasSize(bad.size() + 1);
        assertThat(bad).as("kinds of bad input").hasSizeGreaterThanOrEqualTo(20);
        List<String> expectedCodes = new ArrayList<>(bad.stream().map(b -> b.expected().name()).distinct().toList());
        expectedCodes.add("LATE_CELL");
        assertThat(letters.stream().map(l -> l.get("errorCode").asText()).distinct().toList())
                .as("distinct error codes").containsExactlyInAnyOrderElementsOf(expectedCodes);
        for (Bad b : bad) {
            assertThat(letters).as(b.what()).anySatisfy(l -> {
                assertThat(l.get("errorCode").asText()).isEqualTo(b.expected().name());
                byte[] original = b.value() == null ? null : Base64.getDecoder().decode(l.get("original").get("base64").asText());
                assertThat(original).isEqualTo(b.value());
                assertThat(l.get("source").get("topic").asText()).isEqualTo(b.topic());
                assertThat(l.get("errorMessage").asText()).isNotBlank();
            });
        }
        assertThat(letters).anySatisfy(l -> assertThat(l.get("errorCode").asText()).isEqualTo("LATE_CELL"));
        assertThat(h.cellResults()).singleElement().satisfies(r -> assertThat(r.get("cellId").asText()).isEqualTo("good-1"));
        assertThat(letters).allSatisfy(l -> assertThat(h.mapper.convertValue(l, Map.class)).containsKeys("source", "original"));
    }

    @Test
    void aDeadLetterLargerThanTheTopicAllowsIsTruncatedAndMarkedNotLost(KafkaBroker broker) throws Exception {
        PipelineHarness h = harness(broker, Map.of("deadLetters.maxMessageBytes", "8192"));
        h.start(PipelineHarness.classifier());
        byte[] big = ("{\"type\":\"cell-image\",\"junk\":\"" + "x".repeat(30_000) + "\"").getBytes();
        h.send(h.config.topics().captures(), "BIG-1", big);
        await().atMost(Duration.ofSeconds(60)).until(() -> !h.deadLetters().isEmpty());
        JsonNode letter = h.deadLetters().get(0);
        assertThat(letter.get("errorCode").asText()).isEqualTo("INVALID_JSON");
        assertThat(letter.get("original").get("truncated").asBoolean()).isTrue();
        assertThat(letter.get("original").get("sizeBytes").asInt()).isEqualTo(big.length);
        byte[] prefix = Base64.getDecoder().decode(letter.get("original").get("base64").asText());
        assertThat(big).startsWith(prefix);
        assertThat(h.mapper.writeValueAsBytes(letter).length).isLessThanOrEqualTo(8192);
    }

    private byte[] json(JsonNode node) throws Exception {
        return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsBytes(node);
    }

    /** A PNG signature and IHDR chunk declaring width x height, nothing else: a decompression-bomb header. */
    static byte[] pngHeader(int width, int height) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(out);
        d.write(new byte[]{(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        ByteArrayOutputStream chunk = new ByteArrayOutputStream();
        DataOutputStream c = new DataOutputStream(chunk);
        c.writeBytes("IHDR");
        c.writeInt(width);
        c.writeInt(height);
        c.write(new byte[]{8, 2, 0, 0, 0});
        byte[] body = chunk.toByteArray();
        d.writeInt(body.length - 4);
        d.write(body);
        CRC32 crc = new CRC32();
        crc.update(body);
        d.writeInt((int) crc.getValue());
        return out.toByteArray();
    }
}
