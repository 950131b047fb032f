package org.hemastream.alerts;

import org.hemastream.events.BlastAlert;
import org.hemastream.events.BlastAlert.BlastCell;
import org.hemastream.events.BlastAlert.Stage;
import org.hemastream.inference.CellModelMetadata.SlideAlertRule;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * When cells flagged blast on a smear page a hematologist. A cell is flagged when the classifier's
 * P(blast) reaches the blast threshold (the model's, or a site profile's). A slide meets the rule when it
 * has at least {@code minBlastCells} flagged cells <em>and</em> they are at least {@code minBlastFraction}
 * of its classified cells.
 *
 * <ul>
 *   <li>{@code preliminary}: as soon as the cells classified <em>so far</em> meet the rule, without waiting
 *       for the slide. It can only become due when a listed cell arrives (other cells lower the fractions).</li>
 *   <li>{@code final}: at slide completion, deciding on the whole slide. It goes out when the whole slide
 *       meets the rule (together with a preliminary if none went out), and also after any preliminary, then
 *       with {@code slideRuleMet=false}: the preliminary is withdrawn, never left standing unanswered.</li>
 * </ul>
 * With {@code minBlastFraction = 0} a slide that meets the rule once always meets it, so the set of alert IDs
 * of a slide does not depend on timing; with a fraction, a slide near the rule's edge may get a preliminary
 * (then a withdrawing final) or not, depending on the order its cells were classified in.
 *
 * <p><b>Promyelocyte excess</b> (possible APL, an emergency): a slide also meets the rule when at least
 * {@value #EXCESS_MIN_CELLS} listed cells, and at least {@code promyelocyteExcessFraction} of its classified
 * cells, are promyelocytes — flagged cells named promyelocyte, and cells whose top type is promyelocyte with
 * probability ≥ {@value #EXCESS_MIN_PROBABILITY}, which are listed ({@code flagged=false}) even when P(blast)
 * stays under the threshold. Normal peripheral blood has about no promyelocytes.
 * {@code promyelocyteExcessFraction = 0} turns the rule off. Pure: no I/O.
 *
 * @param minBlastCells              flagged cells needed (≥ 1)
 * @param minBlastFraction           fraction of classified cells that must be flagged (0..1)
 * @param promyelocyteExcessFraction fraction of classified cells with promyelocyte as a confident top type that
 *                                   pages (0..1; 0 = off)
 * @param origin                     where the rule's values came from, for the start-up log
 */
public record BlastRule(int minBlastCells, double minBlastFraction, double promyelocyteExcessFraction, String origin) {

    /** Default of {@code alerts.promyelocyteExcessFraction}; see the README for how it was chosen. */
    public static final double DEFAULT_PROMYELOCYTE_EXCESS_FRACTION = 0.05;
    /** Cells with promyelocyte as top type a promyelocyte excess needs at least. */
    public static final int EXCESS_MIN_CELLS = 3;
    /** Top-type probability at which a promyelocyte counts toward an excess. */
    public static final double EXCESS_MIN_PROBABILITY = 0.5;

    /** The cell type a flagged cell is named by when the model has no promyelocyte class. */
    public static final String BLAST = "blast";
    /** Abnormal promyelocytes: blast equivalents (WHO) in APL. */
    public static final String PROMYELOCYTE = "promyelocyte";

    public BlastRule {
        if (minBlastCells < 1) {
            throw new IllegalArgumentException("alerts.minBlastCells must be >= 1, was " + minBlastCells);
        }
        if (!(minBlastFraction >= 0 && minBlastFraction <= 1)) {
            throw new IllegalArgumentException("alerts.minBlastFraction must be in 0..1, was " + minBlastFraction);
        }
        if (!(promyelocyteExcessFraction >= 0 && promyelocyteExcessFraction <= 1)) {
            throw new IllegalArgumentException("alerts.promyelocyteExcessFraction must be in 0..1, was "
                    + promyelocyteExcessFraction);
        }
    }

    /** A count-only rule (fraction 0), promyelocyte excess off. */
    public BlastRule(int minBlastCells) {
        this(minBlastCells, 0.0, 0.0, "given");
    }

    /** A blast rule with promyelocyte excess off. */
    public BlastRule(int minBlastCells, double minBlastFraction, String origin) {
        this(minBlastCells, minBlastFraction, 0.0, origin);
    }

    /**
     * The rule in force: the model's (or its site profile's) slide rule, each value overridden by the
     * configuration when set there.
     *
     * @param modelRule          the slide rule of the loaded model metadata (site profile already applied)
     * @param configMinCells     {@code alerts.minBlastCells}, or null when not configured
     * @param configMinFraction  {@code alerts.minBlastFraction}, or null when not configured
     */
    public static BlastRule resolve(SlideAlertRule modelRule, Integer configMinCells, Double configMinFraction,
                                    double promyelocyteExcessFraction) {
        int cells = configMinCells != null ? configMinCells : modelRule.minBlastCells();
        double fraction = configMinFraction != null ? configMinFraction : modelRule.minBlastFraction();
        String origin;
        if (configMinCells != null && configMinFraction != null) {
            origin = "configuration (alerts.minBlastCells, alerts.minBlastFraction)";
        } else if (configMinCells != null) {
            origin = "configuration (alerts.minBlastCells); minBlastFraction from " + modelRule.origin();
        } else if (configMinFraction != null) {
            origin = "configuration (alerts.minBlastFraction); minBlastCells from " + modelRule.origin();
        } else {
            origin = modelRule.origin();
        }
        return new BlastRule(cells, fraction, promyelocyteExcessFraction, origin);
    }

    /** Whether {@code flagged} of {@code classified} cells meet the blast rule. */
    public boolean met(int flagged, int classified) {
        // flagged / classified >= fraction, computed as train_cells.py does, so the same slide gets the same answer
        return flagged >= minBlastCells && classified > 0 && (double) flagged / classified >= minBlastFraction;
    }

    /** Whether {@code promyelocytes} confident top-type promyelocytes of {@code classified} cells are an excess. */
    public boolean excess(int promyelocytes, int classified) {
        return promyelocyteExcessFraction > 0 && promyelocytes >= EXCESS_MIN_CELLS && classified > 0
                && (double) promyelocytes / classified >= promyelocyteExcessFraction;
    }

    /** Whether the listed cells of a slide meet the blast rule or the promyelocyte excess. */
    public boolean met(List<BlastCell> listed, int classified) {
        int flagged = 0;
        for (BlastCell c : listed) {
            flagged += c.flagged() ? 1 : 0;
        }
        return met(flagged, classified) || excess(promyelocytes(listed), classified);
    }

    /** Listed cells named promyelocyte: flagged ones, and confident top-type promyelocytes of the excess rule. */
    private static int promyelocytes(List<BlastCell> listed) {
        int n = 0;
        for (BlastCell c : listed) {
            n += PROMYELOCYTE.equals(c.cellType()) ? 1 : 0;
        }
        return n;
    }

    /**
     * The entry of a classified cell in its slide's list, or null when it is not listed: flagged cells (P(blast)
     * reached the threshold) and, with the excess rule on, cells whose top type is promyelocyte with probability
     * ≥ {@value #EXCESS_MIN_PROBABILITY}.
     */
    public BlastCell listed(String cellId, Instant capturedAt, boolean flagged, Map<String, Double> probabilities,
                            String topType, double topProbability) {
        double pBlast = probabilities.getOrDefault(BLAST, 0.0);
        if (flagged) {
            return new BlastCell(cellId, pBlast, capturedAt, flaggedCellType(probabilities), true);
        }
        if (promyelocyteExcessFraction > 0 && PROMYELOCYTE.equals(topType) && topProbability >= EXCESS_MIN_PROBABILITY) {
            return new BlastCell(cellId, pBlast, capturedAt, PROMYELOCYTE, false);
        }
        return null;
    }

    /** Whether a preliminary alert is due now, on the cells classified so far. */
    public boolean preliminaryDue(List<BlastCell> listed, int classifiedSoFar, boolean preliminarySent) {
        return !preliminarySent && met(listed, classifiedSoFar);
    }

    /** Whether a completed slide gets a final alert: it meets the rule, or a preliminary must be answered. */
    public boolean finalDue(List<BlastCell> listed, int classified, boolean preliminarySent) {
        return preliminarySent || met(listed, classified);
    }

    /**
     * The name of a flagged cell: the more probable of {@code blast} and {@code promyelocyte} (ties and
     * models without a promyelocyte class: {@code blast}).
     */
    public static String flaggedCellType(Map<String, Double> typeProbabilities) {
        double blast = typeProbabilities.getOrDefault(BLAST, 0.0);
        Double promyelocyte = typeProbabilities.get(PROMYELOCYTE);
        return promyelocyte != null && promyelocyte > blast ? PROMYELOCYTE : BLAST;
    }

    /**
     * Builds the alert of one stage. Listed cells come by descending P(blast) (then cell ID), so the cells
     * most worth reviewing come first and the order is reproducible.
     */
    public BlastAlert alert(Stage stage, SlideFacts slide, List<BlastCell> listedCells, Instant now) {
        List<BlastCell> sorted = listedCells.stream()
                .sorted(Comparator.comparingDouble(BlastCell::probability).reversed().thenComparing(BlastCell::cellId))
                .toList();
        int promyelocytes = (int) sorted.stream().filter(c -> PROMYELOCYTE.equals(c.cellType())).count();
        int flagged = (int) sorted.stream().filter(BlastCell::flagged).count();
        double percent = slide.classifiedCells() == 0 ? 0 : 100.0 * sorted.size() / slide.classifiedCells();
        boolean excess = excess(promyelocytes, slide.classifiedCells());
        return new BlastAlert(BlastAlert.alertId(slide.specimenId(), slide.slideId(), stage), slide.specimenId(),
                slide.slideId(), stage, sorted.size() - promyelocytes, slide.classifiedCells(), percent,
                slide.threshold(), sorted, slide.cbcBlastFlags(),
                slide.cbcAvailable(), slide.lostCells(), slide.modelVersion(), now, promyelocytes,
                met(flagged, slide.classifiedCells()) || excess, excess);
    }

    @Override
    public String toString() {
        return "minBlastCells=" + minBlastCells + " minBlastFraction=" + minBlastFraction + " (" + origin
                + "), promyelocyte excess " + (promyelocyteExcessFraction > 0 ? ">= " + EXCESS_MIN_CELLS + " cells and >= "
                + promyelocyteExcessFraction + " of the slide are promyelocytes (flagged and named so, or top type at P >= "
                + EXCESS_MIN_PROBABILITY + ")"
                : "off");
    }

    /**
     * What the rule needs to know about a slide.
     *
     * @param cbcBlastFlags the specimen's CBC blast suspect flags (empty without a CBC)
     */
    public record SlideFacts(String specimenId, String slideId, int classifiedCells, int lostCells, double threshold,
                             List<String> cbcBlastFlags, boolean cbcAvailable, String modelVersion) {
    }
}
