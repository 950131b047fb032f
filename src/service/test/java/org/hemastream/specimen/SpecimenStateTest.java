package org.hemastream.specimen;

import org.hemastream.alerts.BlastRule;
import org.hemastream.events.BlastAlert;
import org.hemastream.events.CbcResult;
import org.hemastream.events.CellImage;
import org.hemastream.events.CellResult;
import org.hemastream.events.DiagnosticScore;
import org.hemastream.events.ErrorCode;
import org.hemastream.events.RecordOrigin;
import org.hemastream.events.SlideComplete;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The state that survives restarts: changes, the changelog codec, restore, and input after a specimen closed. */
class SpecimenStateTest {

    private static final Instant T0 = Instant.parse("2026-11-26T08:00:00Z");
    private final SpecimenStateCodec codec = new SpecimenStateCodec();
    private long offset;

    private static SpecimenBook book() {
        return new SpecimenBook(new SpecimenBook.Policy(Duration.ofMinutes(10), 0.6, 1000, 5, 1, Duration.ofHours(2)),
                new BlastRule(1));
    }

    private RecordOrigin origin(int partition) {
        return new RecordOrigin("t", partition, offset++, -1, "S1");
    }

    private static CbcResult cbc(Instant measured) {
        return new CbcResult("S1", measured, "XN-9000", "11001", Map.of("WBC", new CbcResult.Measurement(38.125, "10^3/uL")),
                List.of("Blasts?"));
    }

    private static CellResult result(String id, boolean blast) {
        double p = blast ? 0.9712345678901234 : 0.0123;
        Map<String, Double> probs = new LinkedHashMap<>();
        probs.put("blast", p);
        probs.put("lymphocyte", 1 - p);
        return new CellResult("S1", "S1-1", id, T0.plusMillis(id.hashCode() & 0xff), "m1", blast ? "blast" : "lymphocyte",
                Math.max(p, 1 - p), probs, Map.of("granularity", new CellResult.AttributeCall("fine", 0.875)), blast);
    }

    private Effects cell(SpecimenBook b, String id) {
        return b.cell(new CellImage("S1", "S1-1", id, T0, new byte[]{1}), origin(1), T0);
    }

    @Test
    void aSpecimenRestoredFromItsChangelogRecordFinishesWithTheOutputsItWouldHaveHadWithoutTheRestart() {
        SpecimenBook live = book();
        live.cbc(cbc(T0), origin(1), T0);
        for (String id : List.of("c1", "c2", "c3")) {
            cell(live, id);
        }
        live.classified(result("c1", true), T0);
        live.classified(result("c2", false), T0);
        live.lost("S1", "S1-1", "c3", T0);
        List<SpecimenState> changes = live.takeChanges();
        assertThat(changes).singleElement().satisfies(s -> {
            assertThat(s.partition()).isEqualTo(1);
            assertThat(s.closed()).isFalse();
        });
        byte[] wire = codec.encode(changes.get(0));
        SpecimenState decoded = codec.decode(wire);
        assertThat(decoded).isEqualTo(changes.get(0));

        SpecimenBook restored = book();
        restored.restore(decoded, T0.plusSeconds(5));
        // the classified cell arrives again (re-read past the committed offset): not classified again
        Effects again = cell(restored, "c1");
        assertThat(again.toClassify()).isEmpty();
        assertThat(again.duplicates()).isEqualTo(1);
        // the same CBC again: no second cbc-only score
        assertThat(restored.cbc(cbc(T0), origin(1), T0).scores()).isEmpty();

        SlideComplete done = new SlideComplete("S1", "S1-1", 3, T0);
        Effects liveEnd = live.slideComplete(done, origin(1), T0);
        Effects restoredEnd = restored.slideComplete(done, origin(1), T0);
        assertThat(restoredEnd.alerts()).extracting(BlastAlert::alertId, BlastAlert::blastCount, BlastAlert::classifiedCells,
                BlastAlert::lostCells, BlastAlert::blastCells).isEqualTo(liveEnd.alerts().stream()
                .map(a -> org.assertj.core.groups.Tuple.tuple(a.alertId(), a.blastCount(), a.classifiedCells(),
                        a.lostCells(), a.blastCells())).toList());
        assertThat(restoredEnd.closed()).singleElement().satisfies(c -> {
            assertThat(c.cells()).isEqualTo(liveEnd.closed().get(0).cells());
            assertThat(c.reasons()).isEqualTo(liveEnd.closed().get(0).reasons());
            assertThat(c.cbc()).isEqualTo(liveEnd.closed().get(0).cbc());
        });
        assertThat(restoredEnd.scores()).extracting(Effects.ScoreRequest::stage).containsExactly(DiagnosticScore.Stage.FINAL);
    }

    @Test
    void aClosedSpecimenLeavesAMarkerThatRefusesLateInputAfterARestart() {
        SpecimenBook live = book();
        live.cbc(cbc(T0), origin(0), T0);
        cell(live, "c1");
        live.classified(result("c1", false), T0);
        Effects end = live.slideComplete(new SlideComplete("S1", "S1-1", 1, T0), origin(0), T0);
        assertThat(end.closed()).hasSize(1);
        List<SpecimenState> changes = live.takeChanges();
        assertThat(changes).singleElement().satisfies(s -> {
            assertThat(s.closed()).isTrue();
            assertThat(codec.encode(s).length).isLessThan(300); // a marker, not the cells
        });

        SpecimenBook restored = book();
        restored.restore(codec.decode(codec.encode(changes.get(0))), T0);
        assertThat(restored.cbc(cbc(T0.plusSeconds(60)), origin(0), T0).rejections())
                .extracting(Effects.Rejection::code).containsExactly(ErrorCode.LATE_INPUT);
        assertThat(cell(restored, "c9").rejections()).extracting(Effects.Rejection::code).containsExactly(ErrorCode.LATE_CELL);
        Effects secondSlide = restored.cell(new CellImage("S1", "S1-2", "x", T0, new byte[]{1}), origin(0), T0);
        assertThat(secondSlide.rejections()).extracting(Effects.Rejection::code).containsExactly(ErrorCode.LATE_CELL);
        assertThat(restored.slideComplete(new SlideComplete("S1", "S1-1", 1, T0), origin(0), T0).duplicates()).isEqualTo(1);
        assertThat(restored.openSpecimens()).isZero();
    }

    @Test
    void aCbcRerunWhileOpenIsScoredAndAReplayOrAnOlderOneIsNot() {
        SpecimenBook b = book();
        assertThat(b.cbc(cbc(T0), origin(0), T0).scores()).singleElement().satisfies(r -> assertThat(r.scoreId())
                .isEqualTo(DiagnosticScore.scoreId("S1", DiagnosticScore.Stage.CBC_ONLY)));
        assertThat(b.cbc(cbc(T0), origin(0), T0).scores()).isEmpty();
        assertThat(b.cbc(cbc(T0.minusSeconds(60)), origin(0), T0).scores()).isEmpty();
        assertThat(b.cbc(cbc(T0.plusSeconds(60)), origin(0), T0).scores()).singleElement()
                .satisfies(r -> {
                    assertThat(r.cbc().measuredAt()).isEqualTo(T0.plusSeconds(60));
                    assertThat(r.scoreId()).as("a rerun's score is a revision with its own ID")
                            .isEqualTo(DiagnosticScore.scoreId("S1", DiagnosticScore.Stage.CBC_ONLY, T0.plusSeconds(60)))
                            .isNotEqualTo(DiagnosticScore.scoreId("S1", DiagnosticScore.Stage.CBC_ONLY));
                });
    }

    @Test
    void exceedingTheCellsPerSlideOrSlidesPerSpecimenCapClosesTheSpecimenWithTheReason() {
        SpecimenBook b = book(); // 5 cells per slide, 1 slide
        b.cbc(cbc(T0), origin(0), T0);
        for (int i = 0; i < 5; i++) {
            assertThat(cell(b, "c" + i).toClassify()).hasSize(1);
        }
        Effects sixth = cell(b, "c5");
        assertThat(sixth.rejections()).extracting(Effects.Rejection::code).containsExactly(ErrorCode.LIMIT_EXCEEDED);
        assertThat(sixth.closed()).singleElement().satisfies(c -> assertThat(c.reasons())
                .anySatisfy(r -> assertThat(r).contains("more than 5 cells")));

        SpecimenBook other = book();
        other.cell(new CellImage("S1", "A", "a1", T0, new byte[]{1}), origin(0), T0);
        Effects second = other.cell(new CellImage("S1", "B", "b1", T0, new byte[]{1}), origin(0), T0);
        assertThat(second.closed()).singleElement().satisfies(c -> assertThat(c.reasons())
                .anySatisfy(r -> assertThat(r).contains("more than 1 slides")));
    }

    @Test
    void aSpecimenOlderThanTheMaximumAgeClosesEvenWhenNeverIdle() {
        SpecimenBook b = book();
        b.cbc(cbc(T0), origin(0), T0);
        Instant t = T0;
        for (int i = 0; i < 13; i++) { // an event every 9 minutes: never idle for 10
            t = t.plus(Duration.ofMinutes(9));
            b.cbc(cbc(t), origin(0), t);
            assertThat(b.expire(t).closed()).isEmpty();
        }
        Effects fx = b.expire(t.plus(Duration.ofMinutes(4)));
        assertThat(fx.closed()).singleElement().satisfies(c -> assertThat(c.reasons())
                .anySatisfy(r -> assertThat(r).contains("maximum age")));
    }

    @Test
    void timeTheInputCouldNotBeReadDoesNotCountAsIdle() {
        SpecimenBook b = book();
        b.cbc(cbc(T0), origin(0), T0);
        b.shiftIdle(Duration.ofMinutes(30)); // a 30-minute broker outage
        assertThat(b.expire(T0.plus(Duration.ofMinutes(35))).closed()).isEmpty();
        assertThat(b.expire(T0.plus(Duration.ofMinutes(41))).closed()).hasSize(1);
    }

    @Test
    void droppingAPartitionForgetsItsUnsavedChangesAndMarkers() {
        SpecimenBook b = book();
        b.cbc(cbc(T0), origin(1), T0);
        assertThat(b.drop(p -> p == 1)).containsExactly("S1");
        assertThat(b.takeChanges()).isEmpty();
        List<SpecimenState> none = new ArrayList<>(b.takeChanges());
        assertThat(none).isEmpty();
    }

    /**
     * The cells work in the changelog: each listed cell's type (blast or promyelocyte) and whether it was flagged,
     * including promyelocytes listed only by the promyelocyte-excess rule, survive the codec, and a slide restored
     * from it ends with alerts identical in every field (counts, promyelocyte excess, slide rule met, cell list).
     */
    @Test
    void listedCellsKeepTheirTypeAndFlagThroughTheChangelogSoRestoredAlertsAreIdentical() {
        double threshold = 0.3; // below 0.5: a flagged cell can be more probably a promyelocyte
        BlastRule rule = new BlastRule(1, 0.0, 0.05, "test");
        java.util.function.Supplier<SpecimenBook> newBook = () -> new SpecimenBook(
                new SpecimenBook.Policy(Duration.ofMinutes(10), threshold, 1000, 50, 1, Duration.ofHours(2)), rule);
        SpecimenBook live = newBook.get();
        live.cbc(cbc(T0), origin(1), T0);
        List<String> ids = List.of("b1", "p1", "p2", "p3", "o1", "o2");
        ids.forEach(id -> cell(live, id));
        List<BlastAlert> liveAlerts = new ArrayList<>();
        for (String id : ids.subList(0, 4)) {
            Map<String, Double> p = new LinkedHashMap<>();
            String top;
            if (id.startsWith("b")) {
                p.put("blast", 0.9); p.put("promyelocyte", 0.05); p.put("lymphocyte", 0.05); top = "blast";
            } else if (id.equals("p1")) {
                p.put("blast", 0.35); p.put("promyelocyte", 0.6); p.put("lymphocyte", 0.05); top = "promyelocyte";
            } else {
                p.put("blast", 0.1); p.put("promyelocyte", 0.8); p.put("lymphocyte", 0.1); top = "promyelocyte";
            }
            liveAlerts.addAll(live.classified(new CellResult("S1", "S1-1", id, T0, "m1", top, p.get(top), p, Map.of(),
                    p.get("blast") >= threshold), T0).alerts());
        }
        SpecimenState state = live.takeChanges().get(0);
        List<BlastAlert.BlastCell> listed = state.slides().get(0).blasts();
        assertThat(listed).extracting(BlastAlert.BlastCell::cellId, BlastAlert.BlastCell::cellType, BlastAlert.BlastCell::flagged)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("b1", "blast", true),
                        org.assertj.core.groups.Tuple.tuple("p1", "promyelocyte", true),
                        org.assertj.core.groups.Tuple.tuple("p2", "promyelocyte", false),
                        org.assertj.core.groups.Tuple.tuple("p3", "promyelocyte", false));
        byte[] wire = codec.encode(state);
        assertThat(new String(wire, java.nio.charset.StandardCharsets.UTF_8)).contains("\"stateVersion\":2")
                .contains("\"cellType\":\"promyelocyte\"").contains("\"flagged\":false");
        SpecimenState decoded = codec.decode(wire);
        assertThat(decoded).isEqualTo(state);

        SpecimenBook restored = newBook.get();
        restored.restore(decoded, T0);
        // the two cells still in flight at the snapshot were not saved: their input is read again
        List.of("o1", "o2").forEach(id -> assertThat(cell(restored, id).toClassify()).hasSize(1));
        List<BlastAlert> liveEnd = new ArrayList<>();
        List<BlastAlert> restoredEnd = new ArrayList<>();
        for (String id : List.of("o1", "o2")) {
            Map<String, Double> p = Map.of("blast", 0.01, "promyelocyte", 0.01, "lymphocyte", 0.98);
            CellResult r = new CellResult("S1", "S1-1", id, T0, "m1", "lymphocyte", 0.98, p, Map.of(), false);
            liveEnd.addAll(live.classified(r, T0).alerts());
            restoredEnd.addAll(restored.classified(r, T0).alerts());
        }
        SlideComplete done = new SlideComplete("S1", "S1-1", 6, T0);
        liveEnd.addAll(live.slideComplete(done, origin(1), T0).alerts());
        restoredEnd.addAll(restored.slideComplete(done, origin(1), T0).alerts());
        assertThat(liveEnd).isNotEmpty();
        assertThat(restoredEnd).isEqualTo(liveEnd);
        BlastAlert fin = liveEnd.stream().filter(a -> a.stage() == BlastAlert.Stage.FINAL).findFirst().orElseThrow();
        assertThat(fin.blastCount()).isEqualTo(1);
        assertThat(fin.promyelocyteCount()).isEqualTo(3);
        assertThat(fin.promyelocyteExcess()).isTrue();
        assertThat(fin.slideRuleMet()).isTrue();
    }

    @Test
    void aVersion1RecordIsReadWithItsListedCellsAsFlaggedBlasts() {
        String v1 = "{\"stateVersion\":1,\"specimenId\":\"S1\",\"partition\":1,\"closed\":false,"
                + "\"firstSeen\":\"2026-11-26T08:00:00Z\",\"slides\":[{\"slideId\":\"S1-1\",\"expectedCells\":-1,"
                + "\"preliminarySent\":true,\"finalSent\":false,\"modelVersion\":\"m1\",\"classified\":[],\"lost\":[],"
                + "\"blasts\":[{\"cellId\":\"c1\",\"probability\":0.9,\"capturedAt\":\"2026-11-26T08:00:00Z\"}]}]}";
        SpecimenState s = codec.decode(v1.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(s.slides().get(0).blasts()).containsExactly(new BlastAlert.BlastCell("c1", 0.9, T0, "blast", true));
    }
}
