package org.hemastream.events;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * Blast cells (and blast equivalents) confirmed on a smear, as published on {@code hema.blast-alerts}:
 * decision support that pages a hematologist to look at exactly these cells, not a diagnosis.
 *
 * <p>A cell is flagged when P(blast) reaches the threshold; each flagged cell is named by the more probable
 * of {@code blast} and {@code promyelocyte}, so an APL smear's leukaemic promyelocytes are reported as
 * promyelocytes — abnormal promyelocytes, which WHO counts as blast equivalents in APL — not as blasts.
 *
 * @param alertId           name-based UUID of (specimenId, slideId, stage): the same on every replay
 * @param blastCount        flagged cells named {@code blast}
 * @param classifiedCells   cells of the slide classified when the alert was raised
 * @param blastPercent      (blastCount + promyelocyteCount) / classifiedCells × 100: blasts and blast equivalents
 * @param blastCells        every flagged cell, with the type it is named
 * @param lostCells         cells of the slide that could not be classified
 * @param promyelocyteCount flagged cells named {@code promyelocyte} (abnormal promyelocytes, blast equivalents)
 * @param slideRuleMet      whether the slide alert rule (blast rule or promyelocyte excess) is met: for
 *                          {@code preliminary} on the cells classified so far, for {@code final} on the whole
 *                          slide. A final alert with {@code false} withdraws its slide's preliminary alert
 * @param promyelocyteExcess whether the promyelocyte-excess rule is met (possible APL: cells whose top type is
 *                          promyelocyte, listed even when not flagged)
 */
public record BlastAlert(String alertId, String specimenId, String slideId, Stage stage, int blastCount,
                         int classifiedCells, double blastPercent, double threshold, List<BlastCell> blastCells,
                         List<String> cbcFlags, boolean cbcAvailable, int lostCells, String modelVersion,
                         Instant issuedAt, int promyelocyteCount, boolean slideRuleMet, boolean promyelocyteExcess) {

    public BlastAlert {
        blastCells = List.copyOf(blastCells);
        cbcFlags = List.copyOf(cbcFlags);
    }

    /** {@code preliminary} on first confirmation, {@code final} at slide completion. */
    public enum Stage {
        PRELIMINARY, FINAL;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * A listed cell, so a hematologist can review exactly that cell.
     *
     * @param probability P(blast)
     * @param cellType    {@code blast} or {@code promyelocyte}: the more probable of the two
     * @param flagged     P(blast) reached the threshold; false for a cell listed only as a promyelocyte of the
     *                    promyelocyte-excess rule
     */
    public record BlastCell(String cellId, double probability, Instant capturedAt, String cellType, boolean flagged) {
    }

    /** The deterministic alert ID of one stage of one slide. */
    public static String alertId(String specimenId, String slideId, Stage stage) {
        String name = "hemastream/blast-alert/" + specimenId + "/" + slideId + "/" + stage.wireName();
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
    }
}
