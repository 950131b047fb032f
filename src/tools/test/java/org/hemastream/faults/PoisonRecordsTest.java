package org.hemastream.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.hemastream.events.ErrorCode;
import org.hemastream.events.EventReader;
import org.hemastream.events.EventSchemas;
import org.hemastream.events.ReadResult;
import org.hemastream.sim.DemoPack;
import org.hemastream.sim.Specimen;
import org.junit.jupiter.api.Test;

class PoisonRecordsTest {

    private static final String CBC = "lab.cbc.results";
    private static final String CAPTURES = "lab.cell.captures";

    private final Specimen donor = DemoPack.load().specimens().get(0);
    private final PoisonRecords poison = new PoisonRecords(donor.cells().get(0).jpeg(), donor.cbc());
    private final EventReader reader = new EventReader(new EventSchemas(),
            Map.of(CBC, Set.of("cbc-result"), CAPTURES, Set.of("cell-image", "slide-complete")), 2 * 1024 * 1024);

    @Test
    void theSameSeedSendsTheSameBytes() {
        List<PoisonRecords.PoisonRecord> a = poison.generate(500, 3);
        List<PoisonRecords.PoisonRecord> b = poison.generate(500, 3);

        assertThat(a).hasSameSizeAs(b);
        for (int i = 0; i < a.size(); i++) {
            assertThat(a.get(i).key()).isEqualTo(b.get(i).key());
            assertThat(a.get(i).value()).isEqualTo(b.get(i).value());
        }
    }

    @Test
    void everyRecordRefusedOnReadingIsRefusedByTheServicesReaderWithManyDifferentCodes() {
        List<PoisonRecords.PoisonRecord> records = poison.generate(PoisonRecords.Kind.values().length * 4, 1);
        Set<ErrorCode> codes = new java.util.TreeSet<>();
        for (PoisonRecords.PoisonRecord r : records) {
            if (r.kind().startsWith("HOST_") || PoisonRecords.Kind.valueOf(r.kind()).needsHost()) {
                continue;
            }
            ReadResult result = reader.read(r.topic() == PoisonRecords.Topic.CBC ? CBC : CAPTURES, r.key(), r.value());
            assertThat(result).as("poison of kind %s", r.kind()).isInstanceOf(ReadResult.Rejected.class);
            codes.add(((ReadResult.Rejected) result).code());
        }
        assertThat(PoisonRecords.Kind.values()).hasSizeGreaterThanOrEqualTo(20);
        assertThat(codes).hasSizeGreaterThanOrEqualTo(12);
    }

    @Test
    void imagePoisonTravelsInsideHostSpecimensThatTheReaderAcceptsAndThatComplete() {
        List<PoisonRecords.PoisonRecord> records = poison.generate(300, 2);
        Map<String, List<PoisonRecords.PoisonRecord>> byHost = records.stream()
                .filter(r -> r.key() != null && r.key().startsWith("POISON-HOST-"))
                .collect(Collectors.groupingBy(PoisonRecords.PoisonRecord::key));

        assertThat(byHost).isNotEmpty();
        for (List<PoisonRecords.PoisonRecord> host : byHost.values()) {
            assertThat(host.get(0).kind()).isEqualTo("HOST_CBC");
            assertThat(host.get(host.size() - 1).kind()).isEqualTo("HOST_SLIDE_COMPLETE");
            long cells = host.stream().filter(r -> r.topic() == PoisonRecords.Topic.CAPTURES && !r.kind().equals("HOST_SLIDE_COMPLETE")).count();
            String complete = new String(host.get(host.size() - 1).value(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(complete).contains("\"cellCount\":" + cells);
            for (PoisonRecords.PoisonRecord r : host) {
                // the decoder, not the reader, must refuse these: they reach a specimen
                assertThat(reader.read(r.topic() == PoisonRecords.Topic.CBC ? CBC : CAPTURES, r.key(), r.value()))
                        .as("host record of kind %s", r.kind()).isInstanceOf(ReadResult.Accepted.class);
            }
        }
    }

    @Test
    void theDecompressionBombDeclaresBillionsOfPixelsInAFewHundredBytes() {
        byte[] bomb = PoisonRecords.decompressionBomb(5);

        assertThat(bomb.length).isLessThan(5_000);
        java.nio.ByteBuffer header = java.nio.ByteBuffer.wrap(bomb, 16, 8);
        long pixels = (long) header.getInt() * header.getInt();
        assertThat(pixels).isGreaterThan(2_000_000_000L);
    }
}
