package org.hemastream.inference.evaluation;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/**
 * Counts of (true class, predicted class) over a fixed list of classes, and the per-class metrics derived
 * from them. Not thread-safe: fill it from one thread.
 */
public final class ConfusionMatrix {

    private final List<String> classes;
    private final long[][] counts;
    private long total;

    public ConfusionMatrix(List<String> classes) {
        this.classes = List.copyOf(classes);
        this.counts = new long[classes.size()][classes.size()];
    }

    public void add(int trueClass, int predictedClass) {
        counts[trueClass][predictedClass]++;
        total++;
    }

    public List<String> classes() {
        return classes;
    }

    public long count(int trueClass, int predictedClass) {
        return counts[trueClass][predictedClass];
    }

    public long total() {
        return total;
    }

    /** Cells whose true class is {@code c}. */
    public long support(int c) {
        long s = 0;
        for (long v : counts[c]) {
            s += v;
        }
        return s;
    }

    /** Cells predicted as {@code c}. */
    public long predicted(int c) {
        long s = 0;
        for (long[] row : counts) {
            s += row[c];
        }
        return s;
    }

    /** Of the cells predicted {@code c}, the fraction truly {@code c}; NaN when none was predicted. */
    public double precision(int c) {
        long p = predicted(c);
        return p == 0 ? Double.NaN : (double) counts[c][c] / p;
    }

    /** Of the cells truly {@code c}, the fraction predicted {@code c}; NaN without support. */
    public double recall(int c) {
        long s = support(c);
        return s == 0 ? Double.NaN : (double) counts[c][c] / s;
    }

    /** 2TP / (2TP + FP + FN); NaN when the class neither occurs nor is predicted. */
    public double f1(int c) {
        long tp = counts[c][c];
        long denominator = support(c) + predicted(c);
        return denominator == 0 ? Double.NaN : 2.0 * tp / denominator;
    }

    /** Accuracy of the binary question "is it {@code c}?": (TP + TN) / all. */
    public double oneVsRestAccuracy(int c) {
        if (total == 0) {
            return Double.NaN;
        }
        long wrong = support(c) + predicted(c) - 2 * counts[c][c];
        return (double) (total - wrong) / total;
    }

    /** Fraction of cells whose top type is right. */
    public double accuracy() {
        if (total == 0) {
            return Double.NaN;
        }
        long right = 0;
        for (int c = 0; c < classes.size(); c++) {
            right += counts[c][c];
        }
        return (double) right / total;
    }

    /** Mean F1 over the classes with support &gt; 0. */
    public double macroF1() {
        double sum = 0;
        int n = 0;
        for (int c = 0; c < classes.size(); c++) {
            if (support(c) > 0) {
                sum += f1(c);
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** Prints a per-class table (support, precision, recall, F1, one-vs-rest accuracy) and the totals. */
    public void printPerClass(PrintWriter out, String title) {
        int width = Math.max(10, classes.stream().mapToInt(String::length).max().orElse(10));
        out.println();
        out.println("## " + title + ": " + total + " cells, accuracy " + EvaluationReport.format(accuracy())
                + ", macro-F1 " + EvaluationReport.format(macroF1()));
        out.printf(Locale.ROOT, "%-" + width + "s %8s %9s %7s %7s %7s%n", "class", "support", "precision",
                "recall", "f1", "ovr_acc");
        for (int c = 0; c < classes.size(); c++) {
            if (support(c) == 0 && predicted(c) == 0) {
                continue;
            }
            out.printf(Locale.ROOT, "%-" + width + "s %8d %9s %7s %7s %7s%n", classes.get(c), support(c),
                    EvaluationReport.format(precision(c)), EvaluationReport.format(recall(c)),
                    EvaluationReport.format(f1(c)), EvaluationReport.format(oneVsRestAccuracy(c)));
        }
    }
}
