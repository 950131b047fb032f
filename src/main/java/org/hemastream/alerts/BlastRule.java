package org.hemastream.alerts;

import org.hemastream.events.BlastAlert;
import org.hemastream.events.BlastAlert.BlastCell;
import org.hemastream.events.BlastAlert.Stage;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;

/**
 * When blast cells on a smear page a hematologist. A cell counts as blast when the classifier's
 * P(blast) reaches the threshold shipped with the model (its model card). A {@code preliminary} alert
 * goes out as soon as {@code minBlastCells} cells are blast — without waiting for the slide to finish —
 * and a {@code final} alert at slide completion with the full count; a slide without (enough) blasts
 * raises none. Both stages are always raised for a slide that reaches {@code minBlastCells}, so the set
 * of alert IDs for a slide does not depend on timing. Pure: no I/O.
 *
 * @param minBlastCells blast cells needed to raise an alert (≥ 1)
 */
public record BlastRule(int minBlastCells) {

    public BlastRule {
        if (minBlastCells < 1) {
            throw new IllegalArgumentException("alerts.minBlastCells must be >= 1, was " + minBlastCells);
        }
    }

    /** Whether a preliminary alert is due now. */
    public boolean preliminaryDue(int blastCount, boolean preliminarySent) {
        return !preliminarySent && blastCount >= minBlastCells;
    }

    /** Whether a completed slide gets a final alert. */
    public boolean finalDue(int blastCount) {
        return blastCount >= minBlastCells;
    }

    /**
     * Builds the alert of one stage. Blast cells are listed by descending probability (then cell ID),
     * so the cells most worth reviewing come first and the order is reproducible.
     */
    public BlastAlert alert(Stage stage, SlideFacts slide, List<BlastCell> blastCells, Instant now) {
        List<BlastCell> sorted = blastCells.stream()
                .sorted(Comparator.comparingDouble(BlastCell::probability).reversed().thenComparing(BlastCell::cellId))
                .toList();
        double percent = slide.classifiedCells() == 0 ? 0 : 100.0 * sorted.size() / slide.classifiedCells();
        return new BlastAlert(BlastAlert.alertId(slide.specimenId(), slide.slideId(), stage), slide.specimenId(),
                slide.slideId(), stage, sorted.size(), slide.classifiedCells(), percent, slide.threshold(), sorted,
                slide.cbcBlastFlags(), slide.cbcAvailable(), slide.lostCells(), slide.modelVersion(), now);
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
