package org.hemastream.inference.calibration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.hemastream.inference.CellModelMetadata.SlideAlertRule;
import org.hemastream.inference.calibration.BlastCalibration.Counts;
import org.hemastream.inference.calibration.BlastCalibration.ScoredCell;
import org.junit.jupiter.api.Test;

class BlastCalibrationTest {

    private final BlastCalibration calibration = new BlastCalibration(0.95, 5, 1);

    /** Blasts score around 0.7, non-blasts around 0.2, with overlap; slides named when {@code slides > 0}. */
    private static List<ScoredCell> cells(int blasts, int others, int slides, long seed) {
        Random r = new Random(seed);
        List<ScoredCell> out = new ArrayList<>();
        for (int i = 0; i < blasts + others; i++) {
            boolean blast = i < blasts;
            double p = Math.max(0, Math.min(1, (blast ? 0.7 : 0.2) + r.nextGaussian() * 0.2));
            out.add(new ScoredCell(p, blast, slides > 0 ? "S" + (i % slides) : null));
        }
        return out;
    }

    @Test
    void dataWithoutBlastsIsRefused() {
        assertThatThrownBy(() -> calibration.run(cells(0, 300, 0, 1), 0.5, SlideAlertRule.DEFAULT))
                .hasMessageContaining("no blast-labelled cells");
    }

    @Test
    void tooFewCellsBlastsOrNonBlastsAreRefusedSayingWhatIsNeeded() {
        assertThatThrownBy(() -> calibration.run(cells(30, 60, 0, 1), 0.5, SlideAlertRule.DEFAULT))
                .hasMessageContaining("too little data").hasMessageContaining("90 cells")
                .hasMessageContaining("at least " + BlastCalibration.MIN_CELLS + " cells");
        assertThatThrownBy(() -> calibration.run(cells(19, 300, 0, 1), 0.5, SlideAlertRule.DEFAULT))
                .hasMessageContaining("19 blasts");
        assertThatThrownBy(() -> calibration.run(cells(80, 40, 0, 1), 0.5, SlideAlertRule.DEFAULT))
                .hasMessageContaining("40 non-blasts");
    }

    @Test
    void foldsWithTooFewBlastsAreRefused() {
        // 20 blasts all on one of 6 slides: folds by slide leave most held-out folds without blasts
        List<ScoredCell> c = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            c.add(new ScoredCell(0.9, true, "S0"));
        }
        for (int i = 0; i < 200; i++) {
            c.add(new ScoredCell(0.1, false, "S" + (1 + i % 5)));
        }
        assertThatThrownBy(() -> calibration.run(c, 0.5, SlideAlertRule.DEFAULT))
                .hasMessageContaining("held-out fold").hasMessageContaining("--folds");
    }

    @Test
    void theThresholdReachesTheTargetSpecificityOnTheCellsItIsFittedOn() {
        List<ScoredCell> c = cells(50, 400, 0, 3);
        double t = calibration.threshold(c);

        Counts fit = Counts.of(c, t);
        assertThat(fit.specificity()).isGreaterThanOrEqualTo(0.95);
        double highestPassingNonBlast = c.stream().filter(x -> !x.blast() && x.blastProbability() < t)
                .mapToDouble(ScoredCell::blastProbability).max().orElseThrow();
        assertThat(Counts.of(c, highestPassingNonBlast).specificity())
                .as("the next lower cut falls below the target: the threshold is the lowest that reaches it")
                .isLessThan(0.95);
    }

    @Test
    void everyFoldIsMeasuredOnCellsItsThresholdWasNotFittedOnAndThePoolAddsUpTheFolds() {
        List<ScoredCell> c = cells(60, 400, 0, 5);
        BlastCalibration.Result r = calibration.run(c, 0.5, SlideAlertRule.DEFAULT);
        int[] fold = calibration.assignFolds(c);

        assertThat(r.folds()).hasSize(5);
        assertThat(r.byslide()).isFalse();
        long heldOut = 0;
        for (BlastCalibration.Fold f : r.folds()) {
            List<ScoredCell> train = new ArrayList<>();
            List<ScoredCell> held = new ArrayList<>();
            for (int i = 0; i < c.size(); i++) {
                (fold[i] == f.index() - 1 ? held : train).add(c.get(i));
            }
            assertThat(f.threshold()).as("fold %d threshold comes from the other folds", f.index())
                    .isEqualTo(calibration.threshold(train));
            assertThat(f.after()).isEqualTo(Counts.of(held, f.threshold()));
            assertThat(f.before()).isEqualTo(Counts.of(held, 0.5));
            assertThat(f.heldOutCells() + f.trainCells()).isEqualTo(c.size());
            assertThat(f.heldOutBlasts()).isBetween(11, 13);
            heldOut += f.heldOutCells();
        }
        assertThat(heldOut).as("each cell held out exactly once").isEqualTo(c.size());
        assertThat(r.pooledAfter().blasts() + r.pooledAfter().nonBlasts()).isEqualTo(c.size());
        assertThat(r.pooledAfter().truePositive())
                .isEqualTo(r.folds().stream().mapToLong(f -> f.after().truePositive()).sum());
        assertThat(r.finalThreshold()).isEqualTo(calibration.threshold(c));
        assertThat(r.finalRule()).as("no slides named").isNull();
    }

    @Test
    void withSlidesNamedNoSlideIsSplitAcrossFoldsAndASlideRuleIsFitted() {
        List<ScoredCell> c = new ArrayList<>();
        Random r = new Random(9);
        for (int s = 0; s < 20; s++) {
            boolean leukaemic = s % 2 == 0;
            for (int i = 0; i < 40; i++) {
                boolean blast = leukaemic && i < 10;
                c.add(new ScoredCell(blast ? 0.6 + 0.4 * r.nextDouble() : 0.3 * r.nextDouble() + (i == 0 ? 0.6 : 0),
                        blast, "S" + s));
            }
        }
        BlastCalibration.Result result = calibration.run(c, 0.5, SlideAlertRule.DEFAULT);
        int[] fold = calibration.assignFolds(c);

        Map<String, Integer> slideFold = new HashMap<>();
        for (int i = 0; i < c.size(); i++) {
            Integer before = slideFold.putIfAbsent(c.get(i).slide(), fold[i]);
            assertThat(before == null || before == fold[i]).as("slide %s in one fold", c.get(i).slide()).isTrue();
        }
        assertThat(result.byslide()).isTrue();
        assertThat(result.finalRule()).isNotNull();
        assertThat(result.finalRule().minBlastCells()).as("one stray high cell on every blast-free slide")
                .isGreaterThan(1);
        assertThat(result.folds()).allSatisfy(f -> {
            assertThat(f.slidesAfter().blastFree()).as("blast-free slides spread over the folds").isEqualTo(2);
            assertThat(f.slidesAfter().withBlasts()).isEqualTo(2);
        });
        assertThat(result.pooledSlidesAfter().withBlasts()).isEqualTo(10);
        assertThat(result.pooledSlidesAfter().blastFree()).isEqualTo(10);
        assertThat(result.pooledSlidesBefore().falseAlertRate()).as("1 cell pages on every blast-free slide")
                .isEqualTo(1.0);
        assertThat(result.pooledSlidesAfter().falseAlertRate()).isLessThan(1.0);
    }

    @Test
    void badSettingsAreRefusedNamingTheOption() {
        assertThatThrownBy(() -> new BlastCalibration(1.0, 5, 1)).hasMessageContaining("--target-specificity");
        assertThatThrownBy(() -> new BlastCalibration(0.97, 1, 1)).hasMessageContaining("--folds");
    }
}
