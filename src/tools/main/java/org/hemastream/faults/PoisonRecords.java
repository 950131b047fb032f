package org.hemastream.faults;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.zip.CRC32;

import org.hemastream.sim.AnalyzerMessages;
import org.hemastream.sim.SyntheticCbc;

/**
 * A deterministic storm of bad input records — every way {@code org.hemastream.events.ErrorCode}
 * names and a few more — for the fault suite's poison scenario. The same seed and count give the
 * same records, byte for byte, so a run with faults can be compared with a baseline.
 *
 * <p>Most kinds are refused when read (before any specimen state). The three kinds only the image
 * decoder can refuse (not an image, truncated JPEG, decompression bomb) need a specimen to belong
 * to: they are sent inside <em>host specimens</em> ({@code POISON-HOST-n}) that have a real CBC, two
 * real cells and a {@code slide-complete}, so each host completes and its final score records the
 * cells it lost. Event times are fixed (derived from the sequence number), not the wall clock.
 *
 * <p>Two kinds carry values that look like patient identifiers ({@code DOE JANE 1961-02-03} as a
 * specimen ID, {@code MRN-00123456} as a record key): the suite greps the service's log for them.
 */
public final class PoisonRecords {

    /** Looks like a patient's name and birth date: must never reach a log. */
    public static final String PATIENT_LIKE_SPECIMEN_ID = "DOE JANE 1961-02-03";
    /** Looks like a medical record number: must never reach a log. */
    public static final String PATIENT_LIKE_KEY = "MRN-00123456";

    private static final Instant EPOCH = Instant.parse("2026-01-01T00:00:00Z");
    private static final int POISON_PER_HOST = 30;

    /** Which input topic a record goes to. */
    public enum Topic { CBC, CAPTURES }

    /** One record to send; {@code key} or {@code value} may be null (that is the poison). */
    public record PoisonRecord(Topic topic, String key, byte[] value, String kind) {
    }

    /** The kinds of poison, each with what it is. */
    public enum Kind {
        TOMBSTONE(false), NOT_UTF8(false), TRUNCATED_JSON(false), TRAILING_GARBAGE(false), DEEPLY_NESTED_JSON(false),
        NAN_NUMBER(false), JSON_ARRAY(false), EMPTY_OBJECT(false), MISSING_TYPE(false), UNKNOWN_TYPE(false),
        CBC_ON_CAPTURES_TOPIC(false), CELL_ON_CBC_TOPIC(false), SCHEMA_VERSION_99(false),
        PATIENT_NAME_AS_SPECIMEN_ID(false), SPECIMEN_ID_TOO_LONG(false), NUMERIC_SPECIMEN_ID(false),
        CBC_WITHOUT_PARAMETERS(false), NEGATIVE_CELL_COUNT(false), BAD_TIMESTAMP(false), MISSING_KEY(false),
        KEY_MISMATCH(false), BAD_BASE64(false), DATA_URI_IMAGE(false), EMPTY_IMAGE(false),
        NOT_AN_IMAGE(true), TRUNCATED_JPEG(true), DECOMPRESSION_BOMB(true);

        private final boolean needsHost;

        Kind(boolean needsHost) {
            this.needsHost = needsHost;
        }

        public boolean needsHost() {
            return needsHost;
        }
    }

    private final AnalyzerMessages messages = new AnalyzerMessages();
    private final byte[] goodJpeg;
    private final SyntheticCbc cbc;

    /**
     * @param goodJpeg a real cell image (the hosts' good cells, and the truncated JPEG's source)
     * @param cbc      a real-looking CBC for the host specimens
     */
    public PoisonRecords(byte[] goodJpeg, SyntheticCbc cbc) {
        this.goodJpeg = goodJpeg.clone();
        this.cbc = cbc;
    }

    /**
     * {@code count} poison records of every {@link Kind} in turn (shuffled by {@code seed}), plus the host
     * specimens' good records (CBC, two cells, slide-complete each), in sending order.
     */
    public List<PoisonRecord> generate(int count, long seed) {
        if (count < 0) {
            throw new IllegalArgumentException("count must be >= 0, was " + count);
        }
        Kind[] kinds = Kind.values();
        List<Kind> plan = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            plan.add(kinds[i % kinds.length]);
        }
        java.util.Collections.shuffle(plan, new Random(seed));

        List<PoisonRecord> out = new ArrayList<>();
        int host = -1;
        int inHost = 0;
        for (int seq = 0; seq < plan.size(); seq++) {
            Kind kind = plan.get(seq);
            if (kind.needsHost()) {
                if (host < 0 || inHost == POISON_PER_HOST) {
                    if (host >= 0) {
                        closeHost(out, host, inHost);
                    }
                    host++;
                    inHost = 0;
                    openHost(out, host);
                }
                inHost++;
                String id = hostId(host);
                byte[] image = switch (kind) {
                    case NOT_AN_IMAGE -> ("not an image, poison " + seq).getBytes(StandardCharsets.UTF_8);
                    case TRUNCATED_JPEG -> truncatedJpeg(seq);
                    case DECOMPRESSION_BOMB -> decompressionBomb(seq);
                    default -> throw new IllegalStateException(kind.name());
                };
                out.add(new PoisonRecord(Topic.CAPTURES, id, messages.cellImage(id, slideId(host), cellId(host, inHost + 1),
                        time(seq), image), kind.name()));
            } else {
                out.add(plain(kind, seq));
            }
        }
        if (host >= 0) {
            closeHost(out, host, inHost);
        }
        return out;
    }

    private void openHost(List<PoisonRecord> out, int host) {
        String id = hostId(host);
        out.add(new PoisonRecord(Topic.CBC, id, messages.cbcResult(id, cbc, EPOCH.plusSeconds(host)), "HOST_CBC"));
        out.add(new PoisonRecord(Topic.CAPTURES, id, messages.cellImage(id, slideId(host), cellId(host, 1),
                EPOCH.plusSeconds(host).plusMillis(1), goodJpeg), "HOST_GOOD_CELL"));
    }

    private void closeHost(List<PoisonRecord> out, int host, int poisoned) {
        String id = hostId(host);
        int last = poisoned + 2;
        out.add(new PoisonRecord(Topic.CAPTURES, id, messages.cellImage(id, slideId(host), cellId(host, last),
                EPOCH.plusSeconds(host).plusMillis(2), goodJpeg), "HOST_GOOD_CELL"));
        out.add(new PoisonRecord(Topic.CAPTURES, id, messages.slideComplete(id, slideId(host), last,
                EPOCH.plusSeconds(host).plusMillis(3)), "HOST_SLIDE_COMPLETE"));
    }

    private PoisonRecord plain(Kind kind, int seq) {
        String id = "POISON-" + seq;
        String slide = id + "-S1";
        String cell = slide + "-0001";
        String t = time(seq).toString();
        String image = Base64.getEncoder().encodeToString(goodJpeg);
        return switch (kind) {
            case TOMBSTONE -> rec(Topic.CAPTURES, id, null, kind);
            case NOT_UTF8 -> rec(Topic.CAPTURES, id, new byte[] {'{', '"', (byte) 0xC3, (byte) 0x28, (byte) 0xFF, '"', '}', (byte) (seq & 0x7f)}, kind);
            case TRUNCATED_JSON -> json(Topic.CAPTURES, id, "{\"schemaVersion\":1,\"type\":\"cell-image\",\"specimenId\":\"" + id + "\",\"cellId\":\"", kind);
            case TRAILING_GARBAGE -> json(Topic.CBC, id, "{\"schemaVersion\":1,\"type\":\"cbc-result\",\"specimenId\":\"" + id + "\"} }}garbage", kind);
            case DEEPLY_NESTED_JSON -> json(Topic.CAPTURES, id, "[".repeat(5000) + seq + "]".repeat(5000), kind);
            case NAN_NUMBER -> json(Topic.CBC, id, "{\"schemaVersion\":NaN,\"type\":\"cbc-result\",\"specimenId\":\"" + id + "\"}", kind);
            case JSON_ARRAY -> json(Topic.CAPTURES, id, "[\"cell-image\"," + seq + "]", kind);
            case EMPTY_OBJECT -> json(Topic.CBC, id, "{\"poison\":" + seq + "}", kind);
            case MISSING_TYPE -> json(Topic.CAPTURES, id, "{\"schemaVersion\":1,\"specimenId\":\"" + id + "\",\"slideId\":\"" + slide + "\"}", kind);
            case UNKNOWN_TYPE -> json(Topic.CBC, id, "{\"schemaVersion\":1,\"type\":\"urinalysis\",\"specimenId\":\"" + id + "\"}", kind);
            case CBC_ON_CAPTURES_TOPIC -> rec(Topic.CAPTURES, id, messages.cbcResult(id, cbc, time(seq)), kind);
            case CELL_ON_CBC_TOPIC -> rec(Topic.CBC, id, messages.cellImage(id, slide, cell, time(seq), goodJpeg), kind);
            case SCHEMA_VERSION_99 -> json(Topic.CAPTURES, id, cellJson(99, id, slide, cell, t, image), kind);
            case PATIENT_NAME_AS_SPECIMEN_ID -> json(Topic.CAPTURES, PATIENT_LIKE_SPECIMEN_ID,
                    cellJson(1, PATIENT_LIKE_SPECIMEN_ID, PATIENT_LIKE_SPECIMEN_ID + "-S1", "c" + seq, t, image), kind);
            case SPECIMEN_ID_TOO_LONG -> {
                String longId = (id + "-" + "X".repeat(70)).substring(0, 65);
                yield json(Topic.CAPTURES, longId, cellJson(1, longId, slide, cell, t, image), kind);
            }
            case NUMERIC_SPECIMEN_ID -> json(Topic.CAPTURES, Integer.toString(seq),
                    "{\"schemaVersion\":1,\"type\":\"slide-complete\",\"specimenId\":" + seq + ",\"slideId\":\"" + slide
                            + "\",\"cellCount\":1,\"completedAt\":\"" + t + "\"}", kind);
            case CBC_WITHOUT_PARAMETERS -> json(Topic.CBC, id, "{\"schemaVersion\":1,\"type\":\"cbc-result\",\"specimenId\":\"" + id
                    + "\",\"measuredAt\":\"" + t + "\",\"analyzer\":{\"model\":\"XN-9000\",\"serial\":\"XN-SIMULATED\"},\"flags\":[]}", kind);
            case NEGATIVE_CELL_COUNT -> json(Topic.CAPTURES, id, "{\"schemaVersion\":1,\"type\":\"slide-complete\",\"specimenId\":\"" + id
                    + "\",\"slideId\":\"" + slide + "\",\"cellCount\":-" + (seq + 1) + ",\"completedAt\":\"" + t + "\"}", kind);
            case BAD_TIMESTAMP -> json(Topic.CAPTURES, id, cellJson(1, id, slide, cell, "yesterday at " + seq, image), kind);
            case MISSING_KEY -> rec(Topic.CAPTURES, null, messages.slideComplete(id, slide, 1, time(seq)), kind);
            case KEY_MISMATCH -> rec(Topic.CAPTURES, PATIENT_LIKE_KEY, messages.slideComplete(id, slide, 1, time(seq)), kind);
            case BAD_BASE64 -> json(Topic.CAPTURES, id, cellJson(1, id, slide, cell, t, "!!not*base64#" + seq), kind);
            case DATA_URI_IMAGE -> json(Topic.CAPTURES, id, cellJson(1, id, slide, cell, t, "data:image/jpeg;base64," + image), kind);
            case EMPTY_IMAGE -> json(Topic.CAPTURES, id, cellJson(1, id, slide, cell, t, ""), kind);
            default -> throw new IllegalStateException("kind " + kind + " needs a host specimen");
        };
    }

    private static String cellJson(int version, String id, String slide, String cell, String time, String imageBase64) {
        return "{\"schemaVersion\":" + version + ",\"type\":\"cell-image\",\"specimenId\":\"" + id + "\",\"slideId\":\"" + slide
                + "\",\"cellId\":\"" + cell + "\",\"capturedAt\":\"" + time + "\",\"image\":\"" + imageBase64 + "\"}";
    }

    private static PoisonRecord json(Topic topic, String key, String value, Kind kind) {
        return new PoisonRecord(topic, key, value.getBytes(StandardCharsets.UTF_8), kind.name());
    }

    private static PoisonRecord rec(Topic topic, String key, byte[] value, Kind kind) {
        return new PoisonRecord(topic, key, value, kind.name());
    }

    /** The first part of a real JPEG: the decoder runs out of data. Varies with seq so each record is unique. */
    private byte[] truncatedJpeg(int seq) {
        int cut = Math.max(64, goodJpeg.length / 2 - (seq % 97));
        return Arrays.copyOf(goodJpeg, Math.min(cut, goodJpeg.length - 1));
    }

    /**
     * A tiny, valid-looking PNG whose header declares 50,000 x (50,000 + seq) pixels: decoding it would
     * allocate gigabytes; the service must refuse it from the header.
     */
    static byte[] decompressionBomb(int seq) {
        try {
            ByteArrayOutputStream png = new ByteArrayOutputStream();
            png.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
            ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(50_000).putInt(50_000 + (seq % 10_000));
            ihdr.put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
            chunk(png, "IHDR", ihdr.array());
            // zlib stream of zero bytes: a few hundred bytes that inflate to a huge image
            java.util.zip.Deflater deflater = new java.util.zip.Deflater(9);
            deflater.setInput(new byte[1 << 20]);
            deflater.finish();
            byte[] buffer = new byte[1 << 16];
            int n = deflater.deflate(buffer);
            deflater.end();
            chunk(png, "IDAT", Arrays.copyOf(buffer, n));
            chunk(png, "IEND", new byte[0]);
            return png.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) throws IOException {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        out.write(ByteBuffer.allocate(4).putInt(data.length).array());
        out.write(typeBytes);
        out.write(data);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    private static Instant time(int seq) {
        return EPOCH.plusMillis(10_000L + seq);
    }

    private static String hostId(int host) {
        return String.format(Locale.ROOT, "POISON-HOST-%04d", host);
    }

    private static String slideId(int host) {
        return hostId(host) + "-S1";
    }

    private static String cellId(int host, int n) {
        return String.format(Locale.ROOT, "%s-%04d", slideId(host), n);
    }
}
