package org.hemastream.specimen;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.hemastream.alerts.BlastRule;
import org.hemastream.events.BlastAlert;
import org.hemastream.events.CbcResult;
import org.hemastream.events.CellImage;
import org.hemastream.events.CellResult;
import org.hemastream.events.RecordOrigin;
import org.hemastream.events.SlideComplete;
import org.junit.jupiter.api.Test;

/** The slide alert rule with a fraction, and the naming of flagged cells, as the book applies them. */
class SpecimenBookSlideRuleTest {

    private static final Instant T0 = Instant.parse("2026-11-26T08:00:00Z");
    /** A blast threshold below 0.5: only then can a flagged cell be more probably a promyelocyte. */
    private static final double THRESHOLD = 0.3;
    private long offset;
    private final List<BlastAlert> alerts = new ArrayList<>();

    private SpecimenBook book(BlastRule rule) {
        return new SpecimenBook(new SpecimenBook.Policy(Duration.ofMinutes(10), THRESHOLD, 1000), rule);
    }

    private RecordOrigin origin() {
        return new RecordOrigin("t", 0, offset++, -1, "S1");
    }

    /** Receives and classifies one cell: {@code kind} blast, apl (a leukaemic promyelocyte) or other. */
    private void cell(SpecimenBook book, String id, String kind) {
        book.cell(new CellImage("S1", "S1-1", id, T0, new byte[]{1}), origin(), T0);
        Map<String, Double> p = switch (kind) {
            case "blast" -> Map.of("blast", 0.9, "promyelocyte", 0.05, "lymphocyte", 0.05);
            case "apl" -> Map.of("blast", 0.35, "promyelocyte", 0.60, "lymphocyte", 0.05);
            default -> Map.of("blast", 0.01, "promyelocyte", 0.01, "lymphocyte", 0.98);
        };
        String top = kind.equals("other") ? "lymphocyte" : "blast";
        alerts.addAll(book.classified(new CellResult("S1", "S1-1", id, T0, "m1", top, p.get(top), p, Map.of(),
                p.get("blast") >= THRESHOLD), T0).alerts());
    }

    private void complete(SpecimenBook book, int cells) {
        book.cbc(new CbcResult("S1", T0, "XN-9000", null, Map.of("WBC", new CbcResult.Measurement(5.0, "10^3/uL")),
                List.of()), origin(), T0);
        alerts.addAll(book.slideComplete(new SlideComplete("S1", "S1-1", cells, T0), origin(), T0).alerts());
    }

    @Test
    void aPreliminaryOnAnEarlyHighFractionIsWithdrawnByTheFinalWhenTheWholeSlideFallsShort() {
        SpecimenBook book = book(new BlastRule(2, 0.10, "test"));
        cell(book, "c1", "blast");
        cell(book, "c2", "blast");
        assertThat(alerts).singleElement().satisfies(a -> {
            assertThat(a.stage()).isEqualTo(BlastAlert.Stage.PRELIMINARY);
            assertThat(a.slideRuleMet()).isTrue();
        });
        for (int i = 3; i <= 40; i++) {
            cell(book, "c" + i, "other");
        }
        complete(book, 40);

        assertThat(alerts).hasSize(2);
        assertThat(alerts.get(1).stage()).isEqualTo(BlastAlert.Stage.FINAL);
        assertThat(alerts.get(1).slideRuleMet()).as("2 of 40 = 5 % < 10 %").isFalse();
    }

    @Test
    void aSlideThatNeverReachesTheFractionGetsNoAlert() {
        SpecimenBook book = book(new BlastRule(1, 0.10, "test"));
        for (int i = 1; i <= 30; i++) {
            cell(book, "c" + i, "other");
        }
        cell(book, "c31", "blast"); // 1 of 31 < 10 %
        complete(book, 31);

        assertThat(alerts).isEmpty();
    }

    @Test
    void leukaemicPromyelocytesAreReportedAsPromyelocytesNotBlasts() {
        SpecimenBook book = book(new BlastRule(1, 0.0, "test"));
        cell(book, "c1", "apl");
        cell(book, "c2", "apl");
        cell(book, "c3", "other");
        complete(book, 3);

        BlastAlert fin = alerts.stream().filter(a -> a.stage() == BlastAlert.Stage.FINAL).findFirst().orElseThrow();
        assertThat(fin.blastCount()).isZero();
        assertThat(fin.promyelocyteCount()).isEqualTo(2);
        assertThat(fin.blastCells()).extracting(BlastAlert.BlastCell::cellType).containsOnly("promyelocyte");
    }
}
