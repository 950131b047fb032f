package org.hemastream.events;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class EventReaderTest {

    private static final String CBC = "lab.cbc.results";
    private static final String CAPTURES = "lab.cell.captures";

    private final EventReader reader = new EventReader(new EventSchemas(),
            Map.of(CBC, Set.of("cbc-result"), CAPTURES, Set.of("cell-image", "slide-complete")), 1_000_000);

    private static byte[] example(String type) throws Exception {
        return Files.readAllBytes(Path.of("schemas/examples/" + type + ".example.json"));
    }

    @Test
    void aValidCbcResultIsReadWithItsParametersAndBlastFlags() throws Exception {
        ReadResult r = reader.read(CBC, "S2611-00042", example("cbc-result"));
        assertThat(r).isInstanceOf(ReadResult.Accepted.class);
        CbcResult cbc = (CbcResult) ((ReadResult.Accepted) r).event();
        assertThat(cbc.parameters().get("WBC").value()).isEqualTo(38.6);
        assertThat(cbc.parameters().get("WBC").unit()).isEqualTo("10^3/uL");
        assertThat(cbc.blastFlags()).containsExactly("Blasts?");
    }

    @Test
    void aValidCellImageCarriesTheDecodedImageBytes() throws Exception {
        ReadResult r = reader.read(CAPTURES, "S2611-00042", example("cell-image"));
        CellImage cell = (CellImage) ((ReadResult.Accepted) r).event();
        assertThat(cell.image()).startsWith((byte) 0xFF, (byte) 0xD8);
        assertThat(cell.cellId()).isEqualTo("S2611-00042-1-0007");
    }

    @Test
    void aRecordKeyThatDiffersFromTheSpecimenIsAKeyMismatch() throws Exception {
        assertThat(code(reader.read(CBC, "S2611-00041", example("cbc-result")))).isEqualTo(ErrorCode.KEY_MISMATCH);
        assertThat(code(reader.read(CBC, null, example("cbc-result")))).isEqualTo(ErrorCode.MISSING_KEY);
    }

    @Test
    void eachKindOfBrokenRecordGetsItsOwnCode() throws Exception {
        String slide = new String(example("slide-complete"), StandardCharsets.UTF_8);
        assertThat(code(reader.read(CAPTURES, "k", null))).isEqualTo(ErrorCode.NULL_VALUE);
        assertThat(code(reader.read(CAPTURES, "k", new byte[]{(byte) 0xC3, (byte) 0x28}))).isEqualTo(ErrorCode.NOT_UTF8);
        assertThat(code(reader.read(CAPTURES, "k", "{nope".getBytes()))).isEqualTo(ErrorCode.INVALID_JSON);
        assertThat(code(reader.read(CAPTURES, "k", "[1,2]".getBytes()))).isEqualTo(ErrorCode.NOT_A_JSON_OBJECT);
        assertThat(code(reader.read(CAPTURES, "k", "{\"a\":1}".getBytes()))).isEqualTo(ErrorCode.MISSING_EVENT_TYPE);
        assertThat(code(reader.read(CAPTURES, "k", "{\"type\":\"x-ray\"}".getBytes()))).isEqualTo(ErrorCode.UNKNOWN_EVENT_TYPE);
        assertThat(code(reader.read(CBC, "S2611-00042", slide.getBytes()))).isEqualTo(ErrorCode.WRONG_TOPIC);
        assertThat(code(reader.read(CAPTURES, "S2611-00042", slide.replace("\"schemaVersion\": 1", "\"schemaVersion\": 2").getBytes())))
                .isEqualTo(ErrorCode.UNSUPPORTED_SCHEMA_VERSION);
        assertThat(code(reader.read(CAPTURES, "bad id", slide.replace("S2611-00042\"", "bad id\"").getBytes())))
                .isEqualTo(ErrorCode.INVALID_SPECIMEN_ID);
        assertThat(code(reader.read(CAPTURES, "S2611-00042", slide.replace("143", "-1").getBytes())))
                .isEqualTo(ErrorCode.SCHEMA_VIOLATION);
        assertThat(code(reader.read(CAPTURES, "S2611-00042", slide.replace("2026-11-26T08:24:02Z", "yesterday").getBytes())))
                .isEqualTo(ErrorCode.SCHEMA_VIOLATION);
        assertThat(code(reader.read(CAPTURES, "S2611-00042", slide.replace("{", "{\"a\":1,\"a\":2,").getBytes())))
                .isEqualTo(ErrorCode.INVALID_JSON);
    }

    @Test
    void imagesThatAreNotBase64OrTooLargeAreRefusedBeforeDecoding() throws Exception {
        String cell = new String(example("cell-image"), StandardCharsets.UTF_8);
        String notBase64 = cell.replaceFirst("\"image\": \"[^\"]+\"", "\"image\": \"%%%not base64%%%\"");
        assertThat(code(reader.read(CAPTURES, "S2611-00042", notBase64.getBytes()))).isEqualTo(ErrorCode.INVALID_BASE64);
        EventReader strict = new EventReader(new EventSchemas(), Map.of(CAPTURES, Set.of("cell-image")), 100);
        assertThat(code(strict.read(CAPTURES, "S2611-00042", example("cell-image")))).isEqualTo(ErrorCode.IMAGE_TOO_LARGE);
    }

    @Test
    void aRejectionNamesTheOffendingFieldAndTheSpecimen() throws Exception {
        String slide = new String(example("slide-complete"), StandardCharsets.UTF_8).replace("\"cellCount\": 143,", "");
        ReadResult.Rejected r = (ReadResult.Rejected) reader.read(CAPTURES, "S2611-00042", slide.getBytes());
        assertThat(r.message()).contains("cellCount");
        assertThat(r.specimenId()).isEqualTo("S2611-00042");
    }

    private static ErrorCode code(ReadResult r) {
        assertThat(r).isInstanceOf(ReadResult.Rejected.class);
        return ((ReadResult.Rejected) r).code();
    }
}
