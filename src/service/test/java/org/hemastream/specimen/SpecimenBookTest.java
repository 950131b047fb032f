package org.hemastream.specimen;

import org.hemastream.alerts.BlastRule;
import org.hemastream.events.BlastAlert;
import org.hemastream.events.CbcResult;
import org.hemastream.events.CellImage;
import org.hemastream.events.CellResult;
import org.hemastream.events.ErrorCode;
import org.hemastream.events.RecordOrigin;
import org.hemastream.events.SlideComplete;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class SpecimenBookTest {

    private static final Instant T0 = Instant.parse("2026-11-26T08:00:00Z");
    private final SpecimenBook book = new SpecimenBook(new SpecimenBook.Policy(Duration.ofMinutes(10), 0.6, 1000),
            new BlastRule(1));
    private long offset;

    private RecordOrigin origin(String topic) {
        return new RecordOrigin(topic, 0, offset++, -1, "S1");
    }

    private Effects cell(String id) {
        return book.cell(new CellImage("S1", "S1-1", id, T0, new byte[]{1}), origin("captures"), T0);
    }

    private Effects classify(String id, boolean blast) {
        double p = blast ? 0.97 : 0.01;
        return book.classified(new CellResult("S1", "S1-1", id, T0, "m1", blast ? "blast" : "lymphocyte",
                blast ? p : 0.99, Map.of("blast", p, "lymphocyte", 1 - p), Map.of(), blast), T0);
    }

    private Effects cbc(String... flags) {
        return book.cbc(new CbcResult("S1", T0, "XN-9000", null, Map.of("WBC", new CbcResult.Measurement(38.0, "10^3/uL")),
                List.of(flags)), origin("cbc"), T0);
    }

    @Test
    void thePreliminaryAlertGoesOutOnTheFirstBlastBeforeTheSlideCompletes() {
        cbc("Blasts?");
        cell("c1");
        cell("c2");
        assertThat(classify("c1", false).alerts()).isEmpty();
        List<BlastAlert> alerts = classify("c2", true).alerts();
        assertThat(alerts).singleElement().satisfies(a -> {
            assertThat(a.stage()).isEqualTo(BlastAlert.Stage.PRELIMINARY);
            assertThat(a.blastCount()).isEqualTo(1);
            assertThat(a.classifiedCells()).isEqualTo(2);
            assertThat(a.cbcFlags()).containsExactly("Blasts?");
            assertThat(a.blastCells()).extracting(BlastAlert.BlastCell::cellId).containsExactly("c2");
        });
    }

    @Test
    void theFinalAlertAtSlideCompletionCountsEveryBlastAndClosesTheSpecimen() {
        cbc();
        for (int i = 0; i < 10; i++) {
            cell("c" + i);
        }
        List<BlastAlert> alerts = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            alerts.addAll(classify("c" + i, i % 3 == 0).alerts());
        }
        Effects done = book.slideComplete(new SlideComplete("S1", "S1-1", 10, T0), origin("captures"), T0);
        assertThat(alerts).extracting(BlastAlert::stage).containsExactly(BlastAlert.Stage.PRELIMINARY);
        assertThat(done.alerts()).singleElement().satisfies(a -> {
            assertThat(a.stage()).isEqualTo(BlastAlert.Stage.FINAL);
            assertThat(a.blastCount()).isEqualTo(4);
            assertThat(a.blastPercent()).isEqualTo(40.0);
            assertThat(a.alertId()).isEqualTo(BlastAlert.alertId("S1", "S1-1", BlastAlert.Stage.FINAL));
        });
        assertThat(done.closed()).singleElement().satisfies(c -> {
            assertThat(c.completeness()).isEqualTo(SpecimenClosed.Completeness.COMPLETE);
            assertThat(c.origins()).hasSize(12);
            assertThat(c.cells()).hasSize(10);
        });
        assertThat(book.openSpecimens()).isZero();
    }

    @Test
    void aSlideWithoutBlastsRaisesNoAlert() {
        cbc();
        cell("c1");
        book.slideComplete(new SlideComplete("S1", "S1-1", 1, T0), origin("captures"), T0);
        Effects fx = classify("c1", false);
        assertThat(fx.alerts()).isEmpty();
        assertThat(fx.closed()).hasSize(1);
    }

    @Test
    void aRepeatedCellIdIsIgnoredAndNotClassifiedTwice() {
        assertThat(cell("c1").toClassify()).hasSize(1);
        Effects again = cell("c1");
        assertThat(again.toClassify()).isEmpty();
        assertThat(again.duplicates()).isEqualTo(1);
        assertThat(again.released()).hasSize(1);
    }

    @Test
    void aLaterCbcRerunReplacesTheEarlierOneAndAnOlderOneDoesNot() {
        book.cbc(new CbcResult("S1", T0.plusSeconds(60), null, null, Map.of(), List.of()), origin("cbc"), T0);
        book.cbc(new CbcResult("S1", T0, null, null, Map.of(), List.of("Blasts?")), origin("cbc"), T0);
        cell("c1");
        classify("c1", true);
        Effects fx = book.slideComplete(new SlideComplete("S1", "S1-1", 1, T0), origin("captures"), T0);
        assertThat(fx.alerts()).allSatisfy(a -> assertThat(a.cbcFlags()).isEmpty());
        assertThat(fx.closed().get(0).cbc().measuredAt()).isEqualTo(T0.plusSeconds(60));
    }

    @Test
    void aLostCellCountsTowardsCompletionAndMakesTheSpecimenPartial() {
        cbc();
        cell("c1");
        cell("c2");
        classify("c1", false);
        book.slideComplete(new SlideComplete("S1", "S1-1", 3, T0), origin("captures"), T0);
        Effects fx = book.lost("S1", "S1-1", "c2", T0);
        assertThat(fx.closed()).singleElement().satisfies(c -> {
            assertThat(c.completeness()).isEqualTo(SpecimenClosed.Completeness.PARTIAL);
            assertThat(c.reasons()).anyMatch(r -> r.contains("1 cells lost")).anyMatch(r -> r.contains("1 of 3 cells never arrived"));
            assertThat(c.slides().get(0).lostCells()).isEqualTo(1);
        });
    }

    @Test
    void aSpecimenWithoutCbcExpiresAsPartialWithTheReason() {
        cell("c1");
        classify("c1", true);
        book.slideComplete(new SlideComplete("S1", "S1-1", 1, T0), origin("captures"), T0);
        assertThat(book.expire(T0.plus(Duration.ofMinutes(5))).closed()).isEmpty();
        Effects fx = book.expire(T0.plus(Duration.ofMinutes(11)));
        assertThat(fx.closed()).singleElement().satisfies(c -> assertThat(c.reasons()).containsExactly("no-cbc"));
    }

    @Test
    void aCellForACompletedSlideIsALateCell() {
        cbc();
        cell("c1");
        classify("c1", false);
        book.slideComplete(new SlideComplete("S1", "S1-1", 1, T0), origin("captures"), T0);
        Effects late = cell("c9");
        assertThat(late.rejections()).singleElement().extracting(Effects.Rejection::code).isEqualTo(ErrorCode.LATE_CELL);
    }

    @Test
    void droppingARevokedPartitionForgetsItsSpecimens() {
        cell("c1");
        assertThat(book.drop(p -> p == 0)).containsExactly("S1");
        assertThat(book.openSpecimens()).isZero();
        assertThat(classify("c1", true).alerts()).isEmpty();
    }
}
