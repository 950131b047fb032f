package org.hemastream.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.hemastream.events.EventSchemas;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AnalyzerLineSimulatorTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static List<Specimen> pack;

    @BeforeAll
    static void loadPack() {
        pack = DemoPack.load().specimens();
    }

    /** A clock that moves 1 ms every time it is read: runs are byte-identical and times strictly increase. */
    static final class SteppingClock extends Clock {
        private Instant now = Instant.parse("2026-11-26T08:00:00Z");

        @Override
        public synchronized Instant instant() {
            now = now.plusMillis(1);
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    private static MockProducer<String, byte[]> producer() {
        return new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
    }

    private static List<ProducerRecord<String, byte[]>> simulate(List<Specimen> specimens, SimulationOptions options) {
        MockProducer<String, byte[]> producer = producer();
        new AnalyzerLineSimulator(producer, options, new SteppingClock()).run(specimens);
        return producer.history();
    }

    private static JsonNode json(ProducerRecord<String, byte[]> r) {
        try {
            return JSON.readTree(r.value());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + r, e);
        }
    }

    @Test
    void everyEventValidatesAgainstItsSchemaAndIsKeyedBySpecimen() {
        EventSchemas schemas = new EventSchemas();
        List<ProducerRecord<String, byte[]>> records = simulate(pack, SimulationOptions.defaults());
        long cells = pack.stream().mapToLong(s -> s.cells().size()).sum();
        assertThat(records).hasSize((int) (cells + 2L * pack.size()));
        for (ProducerRecord<String, byte[]> r : records) {
            JsonNode event = json(r);
            String type = event.path("type").asText();
            assertThat(schemas.validate(type, event)).as("%s %s", type, r.key()).isEmpty();
            assertThat(r.key()).isEqualTo(event.path("specimenId").asText());
            assertThat(r.topic()).isEqualTo(type.equals("cbc-result") ? "lab.cbc.results" : "lab.cell.captures");
            assertThat(r.timestamp()).isNotNull();
        }
    }

    @Test
    void eachSpecimenSendsCbcThenCellsInCaptureOrderThenSlideComplete() {
        Map<String, Specimen> byId = pack.stream().collect(Collectors.toMap(Specimen::specimenId, s -> s));
        Map<String, List<JsonNode>> perSpecimen = new LinkedHashMap<>();
        for (ProducerRecord<String, byte[]> r : simulate(pack, SimulationOptions.defaults())) {
            perSpecimen.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(json(r));
        }
        assertThat(perSpecimen.keySet()).containsExactlyInAnyOrderElementsOf(byId.keySet());
        perSpecimen.forEach((id, events) -> {
            Specimen s = byId.get(id);
            int n = s.cells().size();
            assertThat(events).hasSize(n + 2);
            assertThat(events.get(0).path("type").asText()).isEqualTo("cbc-result");
            for (int i = 0; i < n; i++) {
                JsonNode cell = events.get(i + 1);
                assertThat(cell.path("type").asText()).isEqualTo("cell-image");
                assertThat(cell.path("slideId").asText()).isEqualTo(id + "-S1");
                assertThat(cell.path("cellId").asText()).isEqualTo(String.format("%s-S1-%04d", id, i + 1));
                assertThat(Base64.getDecoder().decode(cell.path("image").asText())).isEqualTo(s.cells().get(i).jpeg());
            }
            JsonNode complete = events.get(n + 1);
            assertThat(complete.path("type").asText()).isEqualTo("slide-complete");
            assertThat(complete.path("cellCount").asInt()).isEqualTo(n);
        });
    }

    @Test
    void cbcCarriesTheSpecimensSyntheticResult() {
        Specimen s = pack.get(0);
        JsonNode cbc = json(simulate(List.of(s), SimulationOptions.defaults()).get(0));
        assertThat(cbc.path("analyzer").path("model").asText()).isEqualTo("XN-9000");
        assertThat(cbc.path("parameters").path("WBC").path("value").decimalValue())
                .isEqualByComparingTo(s.cbc().parameters().get("WBC"));
        assertThat(cbc.path("parameters").path("WBC").path("unit").asText()).isEqualTo("10^3/uL");
        List<String> flags = new ArrayList<>();
        cbc.path("flags").forEach(f -> flags.add(f.asText()));
        assertThat(flags).isEqualTo(s.cbc().flags());
    }

    @Test
    void sameSeedSendsTheSameEventsAndAnotherSeedInterleavesDifferently() {
        List<ProducerRecord<String, byte[]>> a = simulate(pack, SimulationOptions.defaults());
        List<ProducerRecord<String, byte[]>> b = simulate(pack, SimulationOptions.defaults());
        assertThat(a).hasSameSizeAs(b);
        for (int i = 0; i < a.size(); i++) {
            assertThat(b.get(i).topic()).isEqualTo(a.get(i).topic());
            assertThat(b.get(i).key()).isEqualTo(a.get(i).key());
            assertThat(b.get(i).timestamp()).isEqualTo(a.get(i).timestamp());
            assertThat(b.get(i).value()).isEqualTo(a.get(i).value());
        }
        List<String> keysA = a.stream().map(ProducerRecord::key).toList();
        List<String> keysOtherSeed = simulate(pack, SimulationOptions.defaults().withSeed(7)).stream()
                .map(ProducerRecord::key).toList();
        assertThat(keysOtherSeed).isNotEqualTo(keysA);
    }

    @Test
    void severalSlidesAreInProgressAtOnce() {
        List<LineSchedule.PlannedEvent> events = new LineSchedule(pack, SimulationOptions.defaults()).toList();
        // Before the first specimen finishes, events of three specimens have been sent.
        int firstDone = 0;
        while (!events.get(firstDone).last()) {
            firstDone++;
        }
        assertThat(events.subList(0, firstDone + 1).stream().map(e -> e.specimen().specimenId()).distinct().count())
                .isEqualTo(3);
        // With one lane, specimens go strictly one after another, in list order.
        List<String> serial = new LineSchedule(pack, SimulationOptions.defaults().withParallelSlides(1)).toList().stream()
                .map(e -> e.specimen().specimenId()).distinct().toList();
        assertThat(serial).isEqualTo(pack.stream().map(Specimen::specimenId).toList());
    }

    @Test
    void cbcTimingPutsTheCbcMidwayOrAfterTheSmear() {
        Specimen s = pack.get(4);
        int n = s.cells().size();
        List<LineSchedule.PlannedEvent> midway = new LineSchedule(List.of(s),
                SimulationOptions.defaults().withCbcTiming(SimulationOptions.CbcTiming.MIDWAY)).toList();
        assertThat(midway.get(n / 2).kind()).isEqualTo(LineSchedule.Kind.CBC_RESULT);
        assertThat(midway.stream().filter(e -> e.kind() == LineSchedule.Kind.CELL_IMAGE).map(LineSchedule.PlannedEvent::cellIndex))
                .containsExactlyElementsOf(java.util.stream.IntStream.range(0, n).boxed().toList());
        assertThat(midway.get(n + 1).kind()).isEqualTo(LineSchedule.Kind.SLIDE_COMPLETE);

        List<LineSchedule.PlannedEvent> after = new LineSchedule(List.of(s),
                SimulationOptions.defaults().withCbcTiming(SimulationOptions.CbcTiming.AFTER_SMEAR)).toList();
        assertThat(after.get(n).kind()).isEqualTo(LineSchedule.Kind.SLIDE_COMPLETE);
        assertThat(after.get(n + 1).kind()).isEqualTo(LineSchedule.Kind.CBC_RESULT);
        assertThat(after.get(n + 1).last()).isTrue();
    }

    @Test
    void repeatedRoundsUseFreshSpecimenIds() {
        List<Specimen> two = pack.subList(3, 5);
        List<ProducerRecord<String, byte[]>> records = simulate(two,
                SimulationOptions.defaults().withRepeat(3).withIdSuffix(".run1"));
        assertThat(records.stream().map(ProducerRecord::key).distinct().sorted().toList()).containsExactly(
                "DEMO-APL-69-R1.run1", "DEMO-APL-69-R2.run1", "DEMO-APL-69-R3.run1",
                "DEMO-APL-97-R1.run1", "DEMO-APL-97-R2.run1", "DEMO-APL-97-R3.run1");
        long cells = two.stream().mapToLong(s -> s.cells().size()).sum();
        assertThat(records).hasSize((int) (3 * (cells + 4)));
        JsonNode someCell = records.stream().map(AnalyzerLineSimulatorTest::json)
                .filter(j -> j.path("type").asText().equals("cell-image")).findFirst().orElseThrow();
        assertThat(someCell.path("cellId").asText()).startsWith(someCell.path("slideId").asText() + "-");
    }

    @Test
    void runReportsWhenEachEventWasSent() {
        MockProducer<String, byte[]> producer = producer();
        List<SentSpecimen> done = new ArrayList<>();
        List<SentSpecimen> sent = new AnalyzerLineSimulator(producer, SimulationOptions.defaults(), new SteppingClock())
                .run(pack, done::add);
        assertThat(sent).containsExactlyElementsOf(done).hasSize(pack.size());
        Map<String, Instant> recordTimes = new HashMap<>();
        for (ProducerRecord<String, byte[]> r : producer.history()) {
            JsonNode j = json(r);
            if (j.path("type").asText().equals("cell-image")) {
                recordTimes.put(j.path("cellId").asText(), Instant.parse(j.path("capturedAt").asText()));
            }
        }
        for (SentSpecimen s : sent) {
            assertThat(s.cellSentAt()).hasSize(s.specimen().cells().size()).isSorted().doesNotContainNull();
            assertThat(s.cbcSentAt()).isBefore(s.cellSentAt().get(0));
            assertThat(s.slideCompleteSentAt()).isAfter(s.cellSentAt().get(s.cellSentAt().size() - 1));
            assertThat(s.cellSentAt().get(0)).isEqualTo(recordTimes.get(s.specimen().cellId(0)));
            if (s.specimen().blastCount() > 0) {
                assertThat(s.firstBlastSentAt()).isNotNull();
            } else {
                assertThat(s.firstBlastSentAt()).isNull();
            }
        }
    }

    @Test
    void aRejectedSendFailsTheRun() {
        // The tenth record is rejected the way a broker rejects an oversized record: through the callback.
        MockProducer<String, byte[]> producer = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer()) {
            private int sends;

            @Override
            public synchronized Future<RecordMetadata> send(ProducerRecord<String, byte[]> record, Callback callback) {
                if (++sends == 10) {
                    RecordTooLargeException e = new RecordTooLargeException("record too large");
                    callback.onCompletion(null, e);
                    return CompletableFuture.failedFuture(e);
                }
                return super.send(record, callback);
            }
        };
        AnalyzerLineSimulator simulator = new AnalyzerLineSimulator(producer, SimulationOptions.defaults());
        assertThatThrownBy(() -> simulator.run(List.of(pack.get(4))))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("record too large");
        assertThat(producer.history()).hasSize(9);
    }

    @Test
    void ratePacesCellImages() {
        Specimen s = pack.get(4);
        SimulationOptions options = SimulationOptions.defaults().withCellsPerSecond(2000);
        long start = System.nanoTime();
        new AnalyzerLineSimulator(producer(), options).run(List.of(s));
        double seconds = (System.nanoTime() - start) / 1e9;
        // (n - 1) intervals of 0.5 ms at least; no upper bound (timings are not asserted in unit tests).
        assertThat(seconds).isGreaterThanOrEqualTo((s.cells().size() - 1) / 2000.0);
    }

    @Test
    void invalidOptionsAreRejectedWithTheOptionName() {
        assertThatThrownBy(() -> SimulationOptions.defaults().withRepeat(0)).hasMessageContaining("repeat");
        assertThatThrownBy(() -> SimulationOptions.defaults().withCellsPerSecond(-1)).hasMessageContaining("cellsPerSecond");
        assertThatThrownBy(() -> SimulationOptions.defaults().withIdSuffix("bad suffix")).hasMessageContaining("idSuffix");
        assertThatThrownBy(() -> new LineSchedule(List.of(pack.get(0), pack.get(0)), SimulationOptions.defaults()))
                .hasMessageContaining("twice");
    }
}
