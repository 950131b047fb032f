package org.hemastream.events;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * Blast cells confirmed on a smear, as published on {@code hema.blast-alerts}: decision support that
 * pages a hematologist to look at exactly these cells, not a diagnosis.
 *
 * @param alertId         name-based UUID of (specimenId, slideId, stage): the same on every replay
 * @param classifiedCells cells of the slide classified when the alert was raised
 * @param blastPercent    blastCount / classifiedCells × 100
 * @param lostCells       cells of the slide that could not be classified
 */
public record BlastAlert(String alertId, String specimenId, String slideId, Stage stage, int blastCount,
                         int classifiedCells, double blastPercent, double threshold, List<BlastCell> blastCells,
                         List<String> cbcFlags, boolean cbcAvailable, int lostCells, String modelVersion,
                         Instant issuedAt) {

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

    /** A cell classified as blast, so a hematologist can review exactly that cell. */
    public record BlastCell(String cellId, double probability, Instant capturedAt) {
    }

    /** The deterministic alert ID of one stage of one slide. */
    public static String alertId(String specimenId, String slideId, Stage stage) {
        String name = "hemastream/blast-alert/" + specimenId + "/" + slideId + "/" + stage.wireName();
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
    }
}
