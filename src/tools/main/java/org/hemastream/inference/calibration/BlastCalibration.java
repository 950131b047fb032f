package org.hemastream.inference.calibration;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.hemastream.inference.CellModelMetadata.SlideAlertRule;

/**
 * Fits a lab's blast threshold (and, when its cells name slides, its slide alert rule) to a target
 * specificity, and measures the fit only on cells it was not fitted on: k-fold cross-validation — for each
 * fold, the threshold is chosen on the other folds and measured on the held-out fold; the folds' held-out
 * counts are also pooled. The final threshold is then fitted on all the lab's cells. Pure: works on P(blast)
 * scores, no model, no I/O.
 *
 * <p>Folds: when at least {@code k} slides exist, whole slides go to one fold (no slide is both fitted on
 * and measured on), balanced by blast count; otherwise cells are split stratified by label. The assignment
 * is fixed by the seed.
 */
public final class BlastCalibration {

    /** Smallest data set calibrated: fewer cells, blasts or non-blasts than these are refused. */
    public static final int MIN_CELLS = 100;
    public static final int MIN_BLASTS = 20;
    public static final int MIN_NON_BLASTS = 50;
    /** Blasts every held-out fold must have, so each fold's sensitivity means something. */
    public static final int MIN_BLASTS_PER_FOLD = 2;

    /** Slide-rule grid searched when slides are named (the same as train_cells.py's choose_slide_rule). */
    static final int[] RULE_CELLS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    static final double[] RULE_FRACTIONS = {0.0, 0.005, 0.01, 0.02, 0.03, 0.05};

    /**
     * One labelled cell's score.
     *
     * @param slide slide ID, or null when the lab named none
     */
    public record ScoredCell(double blastProbability, boolean blast, String slide) {
    }

    /** Cell-level counts of a threshold against the labels. */
    public record Counts(long truePositive, long falseNegative, long falsePositive, long trueNegative) {
        static final Counts ZERO = new Counts(0, 0, 0, 0);

        public static Counts of(List<ScoredCell> cells, double threshold) {
            long tp = 0, fn = 0, fp = 0, tn = 0;
            for (ScoredCell c : cells) {
                boolean flagged = c.blastProbability() >= threshold;
                if (c.blast()) {
                    if (flagged) tp++; else fn++;
                } else if (flagged) fp++; else tn++;
            }
            return new Counts(tp, fn, fp, tn);
        }

        Counts plus(Counts o) {
            return new Counts(truePositive + o.truePositive, falseNegative + o.falseNegative,
                    falsePositive + o.falsePositive, trueNegative + o.trueNegative);
        }

        public double sensitivity() {
            long n = truePositive + falseNegative;
            return n == 0 ? Double.NaN : (double) truePositive / n;
        }

        public double specificity() {
            long n = falsePositive + trueNegative;
            return n == 0 ? Double.NaN : (double) trueNegative / n;
        }

        public long blasts() {
            return truePositive + falseNegative;
        }

        public long nonBlasts() {
            return falsePositive + trueNegative;
        }
    }

    /** Slides alerted under a rule, against whether they have blasts. */
    public record SlideCounts(int withBlasts, int withBlastsAlerted, int blastFree, int blastFreeAlerted) {
        static final SlideCounts ZERO = new SlideCounts(0, 0, 0, 0);

        SlideCounts plus(SlideCounts o) {
            return new SlideCounts(withBlasts + o.withBlasts, withBlastsAlerted + o.withBlastsAlerted,
                    blastFree + o.blastFree, blastFreeAlerted + o.blastFreeAlerted);
        }

        public double sensitivity() {
            return withBlasts == 0 ? Double.NaN : (double) withBlastsAlerted / withBlasts;
        }

        public double falseAlertRate() {
            return blastFree == 0 ? Double.NaN : (double) blastFreeAlerted / blastFree;
        }
    }

    /**
     * One fold: fitted on the other folds, measured here.
     *
     * @param before held-out counts at the model's own threshold
     * @param after  held-out counts at the threshold fitted on the other folds
     * @param rule   slide rule fitted on the other folds, or null when it could not be (the model's rule is then
     *               measured)
     */
    public record Fold(int index, int trainCells, int trainBlasts, int heldOutCells, int heldOutBlasts,
                       double threshold, Counts before, Counts after, SlideAlertRule rule,
                       SlideCounts slidesBefore, SlideCounts slidesAfter) {
    }

    /**
     * The whole calibration.
     *
     * @param finalThreshold threshold fitted on all cells
     * @param finalRule      slide rule fitted on all slides, or null when none were named / could be fitted
     */
    public record Result(List<Fold> folds, Counts pooledBefore, Counts pooledAfter, SlideCounts pooledSlidesBefore,
                         SlideCounts pooledSlidesAfter, double finalThreshold, SlideAlertRule finalRule,
                         Counts trainingFit, boolean byslide) {
    }

    private final double targetSpecificity;
    private final int folds;
    private final long seed;

    public BlastCalibration(double targetSpecificity, int folds, long seed) {
        if (!(targetSpecificity > 0 && targetSpecificity < 1)) {
            throw new IllegalArgumentException("--target-specificity must be between 0 and 1 (exclusive), was "
                    + targetSpecificity);
        }
        if (folds < 2 || folds > 20) {
            throw new IllegalArgumentException("--folds must be between 2 and 20, was " + folds);
        }
        this.targetSpecificity = targetSpecificity;
        this.folds = folds;
        this.seed = seed;
    }

    /**
     * Refuses data too small to calibrate on, with a message that says what is missing.
     *
     * @throws IllegalArgumentException when the data has fewer than {@link #MIN_CELLS} cells, no or fewer than
     *                                  {@link #MIN_BLASTS} blasts, or fewer than {@link #MIN_NON_BLASTS} non-blasts
     */
    public static void checkEnough(List<ScoredCell> cells) {
        long blasts = cells.stream().filter(ScoredCell::blast).count();
        long nonBlasts = cells.size() - blasts;
        if (blasts == 0) {
            throw new IllegalArgumentException("the data has no blast-labelled cells: a blast threshold cannot be "
                    + "calibrated without blasts (label them 'blast'; " + cells.size() + " cells read)");
        }
        if (cells.size() < MIN_CELLS || blasts < MIN_BLASTS || nonBlasts < MIN_NON_BLASTS) {
            throw new IllegalArgumentException("too little data to calibrate: " + cells.size() + " cells, " + blasts
                    + " blasts, " + nonBlasts + " non-blasts; need at least " + MIN_CELLS + " cells, " + MIN_BLASTS
                    + " blasts and " + MIN_NON_BLASTS + " non-blasts");
        }
    }

    /** Runs the k folds and the final fit. {@code modelThreshold} / {@code modelRule} give the "before". */
    public Result run(List<ScoredCell> cells, double modelThreshold, SlideAlertRule modelRule) {
        checkEnough(cells);
        int[] fold = assignFolds(cells);
        List<Fold> results = new ArrayList<>();
        Counts pooledBefore = Counts.ZERO;
        Counts pooledAfter = Counts.ZERO;
        SlideCounts slidesBefore = SlideCounts.ZERO;
        SlideCounts slidesAfter = SlideCounts.ZERO;
        boolean bySlide = foldsBySlide(cells);
        for (int f = 0; f < folds; f++) {
            List<ScoredCell> train = new ArrayList<>();
            List<ScoredCell> held = new ArrayList<>();
            for (int i = 0; i < cells.size(); i++) {
                (fold[i] == f ? held : train).add(cells.get(i));
            }
            long heldBlasts = held.stream().filter(ScoredCell::blast).count();
            if (heldBlasts < MIN_BLASTS_PER_FOLD) {
                throw new IllegalArgumentException("too few blasts for " + folds + "-fold validation: held-out fold "
                        + (f + 1) + " has " + heldBlasts + " blasts (need " + MIN_BLASTS_PER_FOLD + " per fold); "
                        + "use fewer --folds or label more blasts");
            }
            double t = threshold(train);
            SlideAlertRule fitted = bySlide ? fitRule(train, t, modelRule) : null;
            SlideAlertRule rule = fitted != null ? fitted : modelRule;
            Counts before = Counts.of(held, modelThreshold);
            Counts after = Counts.of(held, t);
            SlideCounts sb = bySlide ? slides(held, modelThreshold, modelRule) : SlideCounts.ZERO;
            SlideCounts sa = bySlide ? slides(held, t, rule) : SlideCounts.ZERO;
            results.add(new Fold(f + 1, train.size(), (int) train.stream().filter(ScoredCell::blast).count(),
                    held.size(), (int) heldBlasts, t, before, after, fitted, sb, sa));
            pooledBefore = pooledBefore.plus(before);
            pooledAfter = pooledAfter.plus(after);
            slidesBefore = slidesBefore.plus(sb);
            slidesAfter = slidesAfter.plus(sa);
        }
        double finalThreshold = threshold(cells);
        SlideAlertRule finalRule = bySlide ? fitRule(cells, finalThreshold, modelRule) : null;
        return new Result(results, pooledBefore, pooledAfter, slidesBefore, slidesAfter, finalThreshold, finalRule,
                Counts.of(cells, finalThreshold), bySlide);
    }

    /**
     * The lowest threshold whose specificity on these cells' non-blasts reaches the target: halfway between
     * the non-blast score that must still pass and the next one up (P(blast) &gt;= threshold flags).
     */
    public double threshold(List<ScoredCell> cells) {
        double[] neg = cells.stream().filter(c -> !c.blast()).mapToDouble(ScoredCell::blastProbability).sorted().toArray();
        if (neg.length == 0) {
            throw new IllegalArgumentException("no non-blast cells to set a specificity on");
        }
        int keep = (int) Math.ceil(targetSpecificity * neg.length - 1e-9); // non-blasts that must stay below
        if (keep <= 0) {
            return neg[0];
        }
        double below = neg[keep - 1];
        double above = keep < neg.length ? neg[keep] : 1.0;
        double t = above > below ? (below + above) / 2 : Math.nextUp(below);
        return Math.min(1.0, t);
    }

    /**
     * The slide rule for these slides at this threshold, chosen as train_cells.py chooses the model's: the best
     * Youden index (slide sensitivity − false-alert rate), ties to the more sensitive, then the least demanding
     * (smallest minBlastCells, then fraction). Null when no blast-free slide exists (false alerts cannot be
     * estimated): the model's rule then stays.
     */
    SlideAlertRule fitRule(List<ScoredCell> cells, double threshold, SlideAlertRule modelRule) {
        Map<String, int[]> bySlide = perSlide(cells, threshold);
        boolean anyFree = bySlide.values().stream().anyMatch(s -> s[1] == 0);
        boolean anyBlast = bySlide.values().stream().anyMatch(s -> s[1] > 0);
        if (!anyFree || !anyBlast) {
            return null;
        }
        SlideAlertRule best = null;
        double bestYouden = Double.NEGATIVE_INFINITY;
        double bestSensitivity = Double.NEGATIVE_INFINITY;
        for (int c : RULE_CELLS) {
            for (double fr : RULE_FRACTIONS) {
                SlideAlertRule r = new SlideAlertRule(c, fr, "calibrate-cells", "{}");
                SlideCounts sc = slides(bySlide, r);
                double youden = sc.sensitivity() - sc.falseAlertRate();
                if (youden > bestYouden || (youden == bestYouden && sc.sensitivity() > bestSensitivity)) {
                    best = r;
                    bestYouden = youden;
                    bestSensitivity = sc.sensitivity();
                }
            }
        }
        return best;
    }

    static SlideCounts slides(List<ScoredCell> cells, double threshold, SlideAlertRule rule) {
        return rule == null ? SlideCounts.ZERO : slides(perSlide(cells, threshold), rule);
    }

    private static SlideCounts slides(Map<String, int[]> bySlide, SlideAlertRule rule) {
        int wb = 0, wba = 0, bf = 0, bfa = 0;
        for (int[] s : bySlide.values()) { // cells, blasts, flagged
            boolean alerted = rule.met(s[2], s[0]);
            if (s[1] > 0) {
                wb++;
                wba += alerted ? 1 : 0;
            } else {
                bf++;
                bfa += alerted ? 1 : 0;
            }
        }
        return new SlideCounts(wb, wba, bf, bfa);
    }

    private static Map<String, int[]> perSlide(List<ScoredCell> cells, double threshold) {
        Map<String, int[]> out = new TreeMap<>();
        for (ScoredCell c : cells) {
            if (c.slide() == null) {
                continue;
            }
            int[] s = out.computeIfAbsent(c.slide(), k -> new int[3]);
            s[0]++;
            s[1] += c.blast() ? 1 : 0;
            s[2] += c.blastProbability() >= threshold ? 1 : 0;
        }
        return out;
    }

    private static long slidesNamed(List<ScoredCell> cells) {
        return cells.stream().map(ScoredCell::slide).filter(s -> s != null).distinct().count();
    }

    /** True when every cell names its slide and there are at least as many slides as folds. */
    public boolean foldsBySlide(List<ScoredCell> cells) {
        return cells.stream().allMatch(c -> c.slide() != null) && slidesNamed(cells) >= folds;
    }

    /** Fold of each cell: by slide when enough slides are named, else stratified by label. */
    int[] assignFolds(List<ScoredCell> cells) {
        int[] fold = new int[cells.size()];
        Random random = new Random(seed);
        if (foldsBySlide(cells)) {
            Map<String, Integer> blastsBySlide = new LinkedHashMap<>();
            for (ScoredCell c : cells) {
                blastsBySlide.merge(c.slide(), c.blast() ? 1 : 0, Integer::sum);
            }
            List<String> slides = new ArrayList<>(new TreeMap<>(blastsBySlide).keySet());
            Collections.shuffle(slides, random);
            slides.sort(Comparator.comparingInt(blastsBySlide::get).reversed()); // stable: shuffled within ties
            Map<String, Integer> slideFold = new HashMap<>();
            long[] blastLoad = new long[folds];
            int[] blastFree = new int[folds];
            for (String s : slides) {
                int best = 0;
                if (blastsBySlide.get(s) > 0) { // most blasts first, each to the fold with the fewest blasts so far
                    for (int f = 1; f < folds; f++) {
                        if (blastLoad[f] < blastLoad[best]) {
                            best = f;
                        }
                    }
                    blastLoad[best] += blastsBySlide.get(s);
                } else { // blast-free slides spread evenly, so every fold has some to fit and measure false alerts on
                    for (int f = 1; f < folds; f++) {
                        if (blastFree[f] < blastFree[best]) {
                            best = f;
                        }
                    }
                    blastFree[best]++;
                }
                slideFold.put(s, best);
            }
            for (int i = 0; i < cells.size(); i++) {
                fold[i] = slideFold.get(cells.get(i).slide());
            }
            return fold;
        }
        List<Integer> blasts = new ArrayList<>();
        List<Integer> others = new ArrayList<>();
        for (int i = 0; i < cells.size(); i++) {
            (cells.get(i).blast() ? blasts : others).add(i);
        }
        Collections.shuffle(blasts, random);
        Collections.shuffle(others, random);
        int next = 0;
        for (List<Integer> group : List.of(blasts, others)) {
            for (int i : group) {
                fold[i] = next++ % folds;
            }
        }
        return fold;
    }

    public double targetSpecificity() {
        return targetSpecificity;
    }

    public int folds() {
        return folds;
    }

    public long seed() {
        return seed;
    }
}
