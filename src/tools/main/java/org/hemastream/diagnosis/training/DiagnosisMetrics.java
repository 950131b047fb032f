package org.hemastream.diagnosis.training;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * One-vs-rest ROC AUCs with percentile-bootstrap 95 % intervals, the multiclass Brier score and the
 * confusion matrix of a set of scored specimens. Pure arithmetic; deterministic for a given seed.
 *
 * @param auc     per class, NaN when the class has no positives or no negatives
 * @param aucLow  2.5th percentile of the bootstrap AUCs
 * @param aucHigh 97.5th percentile
 * @param brier   mean over specimens of Σ_k (p_k − y_k)², 0 (perfect) to 2
 * @param confusion [true class][predicted class (argmax)] counts
 */
public record DiagnosisMetrics(double[] auc, double[] aucLow, double[] aucHigh, double brier, int[][] confusion) {

    /**
     * @param p         rows × classes probabilities, row-major
     * @param labels    true class per row
     * @param bootstrap resamples for the intervals (0 = none)
     */
    public static DiagnosisMetrics of(double[] p, int[] labels, int classes, int bootstrap, long seed) {
        int n = labels.length;
        double[] auc = new double[classes];
        for (int k = 0; k < classes; k++) {
            auc[k] = auc(p, labels, classes, k, identity(n));
        }
        double[] low = new double[classes];
        double[] high = new double[classes];
        Arrays.fill(low, Double.NaN);
        Arrays.fill(high, Double.NaN);
        if (bootstrap > 0) {
            double[][] samples = new double[classes][bootstrap];
            Random r = new Random(seed);
            int[] idx = new int[n];
            for (int b = 0; b < bootstrap; b++) {
                for (int i = 0; i < n; i++) {
                    idx[i] = r.nextInt(n);
                }
                for (int k = 0; k < classes; k++) {
                    samples[k][b] = auc(p, labels, classes, k, idx);
                }
            }
            for (int k = 0; k < classes; k++) {
                double[] s = Arrays.stream(samples[k]).filter(d -> !Double.isNaN(d)).sorted().toArray();
                if (s.length > 0) {
                    low[k] = s[(int) Math.floor(0.025 * (s.length - 1))];
                    high[k] = s[(int) Math.ceil(0.975 * (s.length - 1))];
                }
            }
        }
        double brier = 0;
        int[][] confusion = new int[classes][classes];
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int k = 0; k < classes; k++) {
                double y = labels[i] == k ? 1 : 0;
                double d = p[i * classes + k] - y;
                brier += d * d;
                if (p[i * classes + k] > p[i * classes + best]) {
                    best = k;
                }
            }
            confusion[labels[i]][best]++;
        }
        return new DiagnosisMetrics(auc, low, high, n == 0 ? Double.NaN : brier / n, confusion);
    }

    /** Mean of the per-class AUCs. */
    public double macroAuc() {
        return Arrays.stream(auc).filter(d -> !Double.isNaN(d)).average().orElse(Double.NaN);
    }

    /** The lowest per-class AUC. */
    public double minAuc() {
        return Arrays.stream(auc).filter(d -> !Double.isNaN(d)).min().orElse(Double.NaN);
    }

    /** Accuracy of the argmax class. */
    public double accuracy() {
        int right = 0;
        int all = 0;
        for (int t = 0; t < confusion.length; t++) {
            for (int q = 0; q < confusion.length; q++) {
                all += confusion[t][q];
                right += t == q ? confusion[t][q] : 0;
            }
        }
        return all == 0 ? Double.NaN : (double) right / all;
    }

    /**
     * The ROC curve of one class, one-vs-rest: points (false-positive rate, true-positive rate) from
     * (0,0) to (1,1), one per distinct score.
     */
    public static List<double[]> roc(double[] p, int[] labels, int classes, int k) {
        int n = labels.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(p[b * classes + k], p[a * classes + k]));
        int pos = 0;
        for (int l : labels) {
            pos += l == k ? 1 : 0;
        }
        int neg = n - pos;
        List<double[]> points = new ArrayList<>();
        points.add(new double[]{0, 0});
        int tp = 0;
        int fp = 0;
        for (int i = 0; i < n; i++) {
            if (labels[order[i]] == k) {
                tp++;
            } else {
                fp++;
            }
            if (i == n - 1 || p[order[i + 1] * classes + k] != p[order[i] * classes + k]) {
                points.add(new double[]{neg == 0 ? 0 : (double) fp / neg, pos == 0 ? 0 : (double) tp / pos});
            }
        }
        return points;
    }

    /** Mann–Whitney AUC of class k over the rows {@code idx} (with repeats), ties counted half. */
    static double auc(double[] p, int[] labels, int classes, int k, int[] idx) {
        int n = idx.length;
        double[] scores = new double[n];
        boolean[] positive = new boolean[n];
        int pos = 0;
        for (int i = 0; i < n; i++) {
            scores[i] = p[idx[i] * classes + k];
            positive[i] = labels[idx[i]] == k;
            pos += positive[i] ? 1 : 0;
        }
        int neg = n - pos;
        if (pos == 0 || neg == 0) {
            return Double.NaN;
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(scores[a], scores[b]));
        double rankSumPos = 0;
        int i = 0;
        while (i < n) {
            int j = i;
            while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) {
                j++;
            }
            double rank = (i + j) / 2.0 + 1;
            for (int m = i; m <= j; m++) {
                if (positive[order[m]]) {
                    rankSumPos += rank;
                }
            }
            i = j + 1;
        }
        return (rankSumPos - pos * (pos + 1) / 2.0) / ((double) pos * neg);
    }

    private static int[] identity(int n) {
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        return idx;
    }
}
