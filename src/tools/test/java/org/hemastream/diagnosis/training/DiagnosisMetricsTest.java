package org.hemastream.diagnosis.training;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class DiagnosisMetricsTest {

    @Test
    void aucCountsOrderedPairsWithTiesAsHalfAndTheBootstrapIntervalContainsIt() {
        // class 1 scores: positives 0.9, 0.4; negatives 0.8, 0.4, 0.1 -> pairs: (0.9>all)=3, (0.4: >0.1, =0.4) = 1.5
        double[] p = {0.1, 0.9, 0.6, 0.4, 0.2, 0.8, 0.6, 0.4, 0.9, 0.1};
        int[] labels = {1, 1, 0, 0, 0};
        DiagnosisMetrics m = DiagnosisMetrics.of(p, labels, 2, 200, 1);
        assertThat(m.auc()[1]).isCloseTo(4.5 / 6, within(1e-12));
        assertThat(m.auc()[0]).isCloseTo(4.5 / 6, within(1e-12));
        assertThat(m.aucLow()[1]).isLessThanOrEqualTo(m.auc()[1]);
        assertThat(m.aucHigh()[1]).isGreaterThanOrEqualTo(m.auc()[1]);
        assertThat(m.confusion()[1]).containsExactly(1, 1);
        double brier = (0.02 + 0.72 + 1.28 + 0.32 + 0.02) / 5;
        assertThat(m.brier()).isCloseTo(brier, within(1e-12));
    }

    @Test
    void aPerfectRankingHasAucOneAndARocThroughTheCorner() {
        double[] p = {0.9, 0.1, 0.8, 0.2, 0.3, 0.7, 0.1, 0.9};
        int[] labels = {0, 0, 1, 1};
        DiagnosisMetrics m = DiagnosisMetrics.of(p, labels, 2, 0, 1);
        assertThat(m.auc()).containsExactly(1.0, 1.0);
        assertThat(m.macroAuc()).isEqualTo(1.0);
        assertThat(DiagnosisMetrics.roc(p, labels, 2, 1)).anySatisfy(pt -> assertThat(pt).containsExactly(0.0, 1.0));
    }
}
