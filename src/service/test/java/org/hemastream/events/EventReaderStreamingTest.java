package org.hemastream.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

/**
 * The streaming reader gives every record the verdict the tree reader gave it — same accepted event, or
 * same error code, message and specimen (a JSON syntax error's wording aside) — above all where streaming could go wrong: duplicate keys, an image
 * that is not a string, too long, not ASCII, escaped, not base64, a record cut short, odd encodings.
 */
class EventReaderStreamingTest {

    private static final String CBC = "lab.cbc.results";
    private static final String CAPTURES = "lab.cell.captures";
    private static final String KEY = "S2611-00042";
    private static final Map<String, Set<String>> TOPICS = Map.of(CBC, Set.of("cbc-result"),
            CAPTURES, Set.of("cell-image", "slide-complete"));

    private final EventSchemas schemas = new EventSchemas();
    private final EventReader streaming = new EventReader(schemas, TOPICS, 1_000_000);
    private final TreeEventReader tree = new TreeEventReader(schemas, TOPICS, 1_000_000);

    private static String example(String type) throws Exception {
        return Files.readString(Path.of("schemas/examples/" + type + ".example.json"));
    }

    private static String withImage(String cell, String imageJson) {
        return cell.replaceFirst("\"image\": \"[^\"]+\"", "\"image\": " + imageJson.replace("\\", "\\\\").replace("$", "\\$"));
    }

    @Test
    void everyKindOfRecordGetsTheVerdictTheTreeReaderGave() throws Exception {
        String cell = example("cell-image");
        String cbc = example("cbc-result");
        String slide = example("slide-complete");
        String base64 = cell.replaceFirst("(?s).*\"image\": \"([^\"]+)\".*", "$1");
        List<String> cases = new ArrayList<>(List.of(cell, cbc, slide,
                // the image: not a string, empty, escaped, unpadded, damaged, not ASCII, duplicated, in the wrong event
                withImage(cell, "123"), withImage(cell, "null"), withImage(cell, "{\"a\": \"b\"}"), withImage(cell, "[\"" + base64 + "\"]"),
                withImage(cell, "true"), withImage(cell, "\"\""), withImage(cell, "\"" + base64.replace("/", "\\/") + "\""),
                withImage(cell, "\"" + base64.replace("=", "") + "\""), withImage(cell, "\"" + base64.substring(1) + "\""),
                withImage(cell, "\"" + base64.substring(0, 100) + " " + base64.substring(100) + "\""),
                withImage(cell, "\"" + base64.substring(0, 100) + "=" + base64.substring(100) + "\""),
                withImage(cell, "\"" + base64.substring(0, 100) + "\\u00e9" + base64.substring(100) + "\""),
                withImage(cell, "\"" + base64.substring(0, 100) + "é" + base64.substring(100) + "\""),
                withImage(cell, "\"%%%not base64%%%\""), withImage(cell, "\"A\""), withImage(cell, "\"AA\""),
                withImage(cell, "\"" + base64 + "\", \"image\": \"" + base64 + "\""),
                withImage(cell, "\"" + base64 + "\", \"image\": 1"),
                cell.replace("{", "{\"image\": \"" + base64 + "\", "),
                cbc.replace("{", "{\"image\": \"" + base64 + "\", "), slide.replace("{", "{\"image\": 5, "),
                // fields in another order, duplicates elsewhere, wrong types
                cell.replace("\"type\": \"cell-image\",", "") .replace("\"image\":", "\"type\": \"cell-image\", \"image\":"),
                cbc.replace("\"WBC\"", "\"RBC\": {\"value\": 1, \"unit\": \"x\"}, \"WBC\""),
                cell.replace("\"cellId\": \"S2611-00042-1-0007\"", "\"cellId\": 7"),
                cell.replace("\"schemaVersion\": 1", "\"schemaVersion\": \"1\""),
                cell.replace("\"schemaVersion\": 1", "\"schemaVersion\": 2"),
                cell.replace("\"specimenId\": \"S2611-00042\"", "\"specimenId\": null"),
                cell.replace("2026-11-26T08:21:40.512Z", "2026-11-26T08:21:40.512+01:00"),
                cell.replace("2026-11-26T08:21:40.512Z", "2026-11-26 08:21"),
                // not JSON, not an object, cut short, trailing content
                "", "   ", "null", "[1, 2]", "42", "\"cell-image\"", "{", "{\"type\":", cell.substring(0, cell.length() / 2),
                cell.substring(0, cell.indexOf(base64) + 50), cell + " trailing", cell + "{}", "{\"type\": \"x-ray\"}",
                "{\"a\": 1, \"a\": 2}", "{\"type\": \"cell-image\", \"type\": \"cell-image\"}"));
        for (int i = 0; i < cases.size(); i++) {
            assertSameVerdict("case " + i, CAPTURES, KEY, cases.get(i).getBytes(StandardCharsets.UTF_8));
            assertSameVerdict("case " + i + " on the CBC topic", CBC, KEY, cases.get(i).getBytes(StandardCharsets.UTF_8));
        }
        assertSameVerdict("no key", CAPTURES, null, cell.getBytes(StandardCharsets.UTF_8));
        assertSameVerdict("other key", CAPTURES, "S2611-00041", cell.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void encodingsOtherThanUtf8AndByteOrderMarksGetTheTreeReadersVerdict() throws Exception {
        String cell = example("cell-image");
        byte[] bom = ("\uFEFF" + cell).getBytes(StandardCharsets.UTF_8);
        List<byte[]> cases = List.of(bom, cell.getBytes(StandardCharsets.UTF_16BE), cell.getBytes(StandardCharsets.UTF_16LE),
                cell.getBytes(StandardCharsets.UTF_16), ("\u0000" + cell).getBytes(StandardCharsets.UTF_8),
                cell.replace("S2611-00042-1-0007", "Zelle-é").getBytes(StandardCharsets.ISO_8859_1),
                new byte[]{(byte) 0xC3, (byte) 0x28}, new byte[0]);
        for (int i = 0; i < cases.size(); i++) {
            assertSameVerdict("encoding case " + i, CAPTURES, KEY, cases.get(i));
        }
    }

    @Test
    void anImageTextOverTheSchemasMaximumIsASchemaViolationAsBefore() throws Exception {
        int max = schemas.plainStringBounds("cell-image", "image").max();
        String cell = example("cell-image");
        byte[] tooLong = withImage(cell, "\"" + "A".repeat(max + 4) + "\"").getBytes(StandardCharsets.UTF_8);
        byte[] longest = withImage(cell, "\"" + "A".repeat(max - max % 4) + "\"").getBytes(StandardCharsets.UTF_8);

        assertThat(((ReadResult.Rejected) streaming.read(CAPTURES, KEY, tooLong)).code()).isEqualTo(ErrorCode.SCHEMA_VIOLATION);
        assertSameVerdict("over the maximum", CAPTURES, KEY, tooLong);
        assertThat(((ReadResult.Rejected) streaming.read(CAPTURES, KEY, longest)).code()).isEqualTo(ErrorCode.IMAGE_TOO_LARGE);
        assertSameVerdict("at the maximum", CAPTURES, KEY, longest);
    }

    @Test
    void theImageBufferIsReusedWithoutLeakingOneImageIntoTheNext() throws Exception {
        String cell = example("cell-image");
        String base64 = cell.replaceFirst("(?s).*\"image\": \"([^\"]+)\".*", "$1");
        byte[] big = withImage(cell, "\"" + base64.replace("=", "").repeat(8).substring(0, 40_000) + "\"")
                .getBytes(StandardCharsets.UTF_8);
        streaming.read(CAPTURES, KEY, big);

        assertSameVerdict("after a larger image", CAPTURES, KEY, cell.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theSchemaMakesNoOtherAssertionOnTheImageThanItsLength() {
        EventSchemas.StringBounds bounds = schemas.plainStringBounds("cell-image", "image");

        assertThat(bounds).isEqualTo(new EventSchemas.StringBounds(1, 2_800_000));
        assertThat(schemas.plainStringBounds("cell-image", "specimenId")).as("has a pattern").isNull();
    }

    private void assertSameVerdict(String what, String topic, String key, byte[] value) {
        ReadResult expected = tree.read(topic, key, value);
        ReadResult actual = streaming.read(topic, key, value);
        if (expected instanceof ReadResult.Rejected e && e.code() == ErrorCode.INVALID_JSON) {
            // Jackson words a syntax error differently when it parses bytes rather than characters
            assertThat(actual).as(what).isInstanceOfSatisfying(ReadResult.Rejected.class, r -> {
                assertThat(r.code()).isEqualTo(ErrorCode.INVALID_JSON);
                assertThat(r.message()).startsWith("invalid JSON: ").hasSizeGreaterThan(20);
                assertThat(r.specimenId()).isEqualTo(e.specimenId());
            });
        } else if (expected instanceof ReadResult.Rejected e) {
            assertThat(actual).as(what).isEqualTo(e);
        } else {
            assertThat(actual).as(what + ": " + expected).isInstanceOf(ReadResult.Accepted.class);
            Object a = ((ReadResult.Accepted) actual).event();
            Object b = ((ReadResult.Accepted) expected).event();
            if (b instanceof CellImage bc) {
                CellImage ac = (CellImage) a;
                assertThat(List.of(ac.specimenId(), ac.slideId(), ac.cellId(), ac.capturedAt()))
                        .as(what).isEqualTo(List.of(bc.specimenId(), bc.slideId(), bc.cellId(), bc.capturedAt()));
                assertThat(ac.image()).as(what).isEqualTo(bc.image());
            } else {
                assertThat(a).as(what).isEqualTo(b);
            }
        }
    }
}
