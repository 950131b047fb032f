package org.hemastream.inference.evaluation;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import org.hemastream.alerts.BlastRule;
import org.hemastream.events.BlastAlert;
import org.hemastream.inference.AttributePrediction;
import org.hemastream.inference.CellModelMetadata;
import org.hemastream.inference.CellPrediction;

/**
 * Everything {@code evaluate-cells} reports, accumulated cell by cell: per-class metrics overall and per
 * source, attribute accuracy, blast sensitivity/specificity at the model's blast threshold, false-blast
 * rate of blast-free sources and, where the manifest names slides, per-slide alerts under the model's slide
 * alert rule ({@link CellModelMetadata#slideAlertRule()}) with slide sensitivity and false-alert rate.
 * Cells labelled {@link CellLabelMap#NON_BLAST} count for blast specificity only.
 *
 * <p>Not thread-safe: add results from one thread.
 */
public final class EvaluationReport {

    private final CellModelMetadata metadata;
    private final ConfusionMatrix overall;
    private final Map<String, ConfusionMatrix> bySource = new LinkedHashMap<>();
    private final Map<String, BlastCounts> blastBySource = new LinkedHashMap<>();
    private final BlastCounts blastOverall = new BlastCounts();
    private final Map<String, BlastCounts> blastBySlide = new TreeMap<>();
    private final Map<String, long[]> attributeCounts = new LinkedHashMap<>(); // n, correct, unknown value
    private final Map<String, Integer> rejectedByReason = new TreeMap<>();
    private final Map<String, Integer> notModelTypes = new TreeMap<>();
    private final boolean hasBlastClass;
    /** The service's slide rule with its defaults: the model's (or site profile's) blast rule, promyelocyte excess on. */
    private final BlastRule slideRule;

    /** Blast decisions at the model's (or site profile's) threshold against the labels. */
    static final class BlastCounts {
        long truePositive;
        long falseNegative;
        long falsePositive;
        long trueNegative;
        /** Flagged cells whose more probable type of blast/promyelocyte is promyelocyte (as the alert names them). */
        long flaggedAsPromyelocyte;
        /** Cells whose top type is promyelocyte with probability >= 0.5 (flagged or not). */
        long promyelocyteTop;
        /** Cells the service's alert would list as promyelocytes (flagged and named so, or of the excess rule). */
        long listedPromyelocytes;

        void add(boolean trueBlast, boolean flagged) {
            if (trueBlast) {
                if (flagged) {
                    truePositive++;
                } else {
                    falseNegative++;
                }
            } else if (flagged) {
                falsePositive++;
            } else {
                trueNegative++;
            }
        }

        long blasts() {
            return truePositive + falseNegative;
        }

        long nonBlasts() {
            return falsePositive + trueNegative;
        }

        long flagged() {
            return truePositive + falsePositive;
        }

        double sensitivity() {
            return blasts() == 0 ? Double.NaN : (double) truePositive / blasts();
        }

        double specificity() {
            return nonBlasts() == 0 ? Double.NaN : (double) trueNegative / nonBlasts();
        }
    }

    public EvaluationReport(CellModelMetadata metadata) {
        this.metadata = metadata;
        this.slideRule = BlastRule.resolve(metadata.slideAlertRule(), null, null,
                BlastRule.DEFAULT_PROMYELOCYTE_EXCESS_FRACTION);
        this.overall = new ConfusionMatrix(metadata.cellTypes());
        this.hasBlastClass = metadata.blastThreshold().isPresent();
        for (CellModelMetadata.AttributeSpec a : metadata.attributes()) {
            attributeCounts.put(a.name(), new long[3]);
        }
    }

    /**
     * True when the manifest's cell type is one of the model's classes (or a {@code non_blast} cell and the
     * model has a blast class); others are only counted.
     */
    public boolean accepts(CellManifest.ManifestCell cell) {
        if (cell.nonBlastOnly() ? hasBlastClass : metadata.cellTypeIndex(cell.cellType()) >= 0) {
            return true;
        }
        notModelTypes.merge(cell.cellType(), 1, Integer::sum);
        return false;
    }

    /** Records an image that could not be read or decoded. */
    public void reject(String reason) {
        rejectedByReason.merge(reason, 1, Integer::sum);
    }

    /** Records one classified cell; its type must be {@link #accepts accepted}. */
    public void add(CellManifest.ManifestCell cell, CellPrediction prediction) {
        if (hasBlastClass) {
            boolean trueBlast = cell.trueBlast();
            boolean flagged = prediction.blastFlagged();
            blastOverall.add(trueBlast, flagged);
            blastBySource.computeIfAbsent(cell.source(), s -> new BlastCounts()).add(trueBlast, flagged);
            if (cell.slide() != null) {
                BlastCounts slide = blastBySlide.computeIfAbsent(cell.source() + "/" + cell.slide(), p -> new BlastCounts());
                slide.add(trueBlast, flagged);
                if (flagged && BlastRule.PROMYELOCYTE.equals(BlastRule.flaggedCellType(prediction.typeProbabilities()))) {
                    slide.flaggedAsPromyelocyte++;
                }
                if ("promyelocyte".equals(prediction.topType()) && prediction.topProbability() >= BlastRule.EXCESS_MIN_PROBABILITY) {
                    slide.promyelocyteTop++;
                }
                BlastAlert.BlastCell listed = slideRule.listed("", null, flagged, prediction.typeProbabilities(),
                        prediction.topType(), prediction.topProbability());
                if (listed != null && BlastRule.PROMYELOCYTE.equals(listed.cellType())) {
                    slide.listedPromyelocytes++;
                }
            }
        }
        if (cell.nonBlastOnly()) {
            return;
        }
        int truth = metadata.cellTypeIndex(cell.cellType());
        int predicted = metadata.cellTypeIndex(prediction.topType());
        overall.add(truth, predicted);
        bySource.computeIfAbsent(cell.source(), s -> new ConfusionMatrix(metadata.cellTypes())).add(truth, predicted);
        for (Map.Entry<String, AttributePrediction> e : prediction.attributes().entrySet()) {
            String truthValue = cell.columns().get(e.getKey());
            if (truthValue == null || truthValue.isBlank()) {
                continue;
            }
            long[] c = attributeCounts.get(e.getKey());
            c[0]++;
            if (truthValue.equals(e.getValue().value())) {
                c[1]++;
            } else if (!e.getValue().probabilities().containsKey(truthValue)) {
                c[2]++;
            }
        }
    }

    public ConfusionMatrix overall() {
        return overall;
    }

    /** Prints the whole report (without the summary line). */
    public void print(PrintWriter out) {
        if (!rejectedByReason.isEmpty()) {
            out.println("images not classified, by reason: " + rejectedByReason);
        }
        if (!notModelTypes.isEmpty()) {
            out.println("cells skipped because the model has no such cell type: " + notModelTypes);
        }
        overall.printPerClass(out, "cell types, all sources");
        if (bySource.size() > 1) {
            bySource.forEach((source, m) -> m.printPerClass(out, "cell types, source " + source));
        }
        printAttributes(out);
        printBlasts(out);
    }

    private void printAttributes(PrintWriter out) {
        boolean any = attributeCounts.values().stream().anyMatch(c -> c[0] > 0);
        out.println();
        if (!any) {
            out.println("## attributes: no evaluated cell has attribute labels");
            return;
        }
        out.println("## attribute accuracy (cells with that attribute labelled)");
        out.printf(Locale.ROOT, "%-28s %8s %9s %14s%n", "attribute", "cells", "accuracy", "unknown_value");
        attributeCounts.forEach((name, c) -> {
            if (c[0] > 0) {
                out.printf(Locale.ROOT, "%-28s %8d %9s %14d%n", name, c[0], format((double) c[1] / c[0]), c[2]);
            }
        });
    }

    private void printBlasts(PrintWriter out) {
        out.println();
        if (!hasBlastClass) {
            out.println("## blasts: the model has no '" + CellModelMetadata.BLAST + "' class with a threshold");
            return;
        }
        double t = metadata.blastThreshold().getAsDouble();
        out.println("## blasts at the threshold P(blast) >= " + format(t));
        out.printf(Locale.ROOT, "all sources: %d blasts, %d non-blasts, sensitivity %s, specificity %s%n",
                blastOverall.blasts(), blastOverall.nonBlasts(), format(blastOverall.sensitivity()),
                format(blastOverall.specificity()));
        blastBySource.forEach((source, b) -> {
            if (b.blasts() > 0) {
                out.printf(Locale.ROOT, "source %s: %d blasts, %d non-blasts, sensitivity %s, specificity %s%n",
                        source, b.blasts(), b.nonBlasts(), format(b.sensitivity()), format(b.specificity()));
            } else {
                out.printf(Locale.ROOT, "source %s: no blast labels; false-blast rate %s (%d of %d cells flagged)%n",
                        source, format((double) b.falsePositive / b.nonBlasts()), b.falsePositive, b.nonBlasts());
            }
        });
        if (blastBySlide.isEmpty()) {
            return;
        }
        BlastRule rule = slideRule;
        out.println();
        out.println("### per slide (patient), alert rule " + rule);
        out.println("(named_promyel: flagged cells named promyelocyte; promyel_top: top type promyelocyte at P >= "
                + BlastRule.EXCESS_MIN_PROBABILITY + "; alerted: by the blast rule and/or the promyelocyte excess)");
        out.printf(Locale.ROOT, "%-28s %6s %12s %13s %14s %13s %11s %14s%n", "slide", "cells", "true_blasts",
                "called_blast", "flagged_blasts", "named_promyel", "promyel_top", "alerted");
        SlideTally tally = new SlideTally();
        for (Map.Entry<String, BlastCounts> e : blastBySlide.entrySet()) {
            BlastCounts b = e.getValue();
            int cells = (int) (b.blasts() + b.nonBlasts());
            boolean byBlasts = rule.met((int) b.flagged(), cells);
            boolean byExcess = rule.excess((int) b.listedPromyelocytes, cells);
            boolean alerted = byBlasts || byExcess;
            out.printf(Locale.ROOT, "%-28s %6d %12d %13d %14d %13d %11d %14s%n", e.getKey(), cells, b.blasts(), b.flagged(),
                    b.truePositive, b.flaggedAsPromyelocyte, b.promyelocyteTop,
                    !alerted ? "no" : byBlasts && byExcess ? "yes (both)" : byBlasts ? "yes" : "yes (promyel)");
            tally.add(b.blasts() > 0, alerted);
        }
        out.printf(Locale.ROOT, "slides with >=1 true blast: %d; alerted: %d (slide sensitivity %s)%n",
                tally.withBlasts, tally.withBlastsAlerted, format(tally.sensitivity()));
        out.printf(Locale.ROOT, "blast-free slides: %d; alerted: %d (false-alert rate %s)%n",
                tally.blastFree, tally.blastFreeAlerted, format(tally.falseAlertRate()));
    }

    /** Slides alerted under a slide rule, against whether they have true blasts. */
    static final class SlideTally {
        int withBlasts;
        int withBlastsAlerted;
        int blastFree;
        int blastFreeAlerted;

        void add(boolean hasBlasts, boolean alerted) {
            if (hasBlasts) {
                withBlasts++;
                withBlastsAlerted += alerted ? 1 : 0;
            } else {
                blastFree++;
                blastFreeAlerted += alerted ? 1 : 0;
            }
        }

        double sensitivity() {
            return withBlasts == 0 ? Double.NaN : (double) withBlastsAlerted / withBlasts;
        }

        double falseAlertRate() {
            return blastFree == 0 ? Double.NaN : (double) blastFreeAlerted / blastFree;
        }
    }

    /**
     * The machine-readable last line:
     * {@code cells=<n> accuracy=<a> macro_f1=<f> blast_recall=<r> blast_specificity=<s>}.
     */
    public String summaryLine() {
        return "cells=" + overall.total()
                + " accuracy=" + format(overall.accuracy())
                + " macro_f1=" + format(overall.macroF1())
                + " blast_recall=" + format(hasBlastClass ? blastOverall.sensitivity() : Double.NaN)
                + " blast_specificity=" + format(hasBlastClass ? blastOverall.specificity() : Double.NaN);
    }

    /** Four decimals, Locale.ROOT, {@code nan} for NaN. */
    public static String format(double v) {
        return Double.isNaN(v) ? "nan" : String.format(Locale.ROOT, "%.4f", v);
    }

    List<String> sources() {
        return List.copyOf(bySource.keySet());
    }
}
