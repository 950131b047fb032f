package org.hemastream.specimen;

import org.hemastream.events.BlastAlert.BlastCell;
import org.hemastream.events.CbcResult;
import org.hemastream.events.CellResult;

import java.time.Instant;
import java.util.List;

/**
 * What survives a restart of one specimen: the record written to the state changelog
 * ({@code hema.specimen-state}, keyed by specimen ID, partition = the input partition the specimen
 * lives on) in the same transaction as the outputs it fed. Never holds images: a cell still waiting
 * for classification is not part of the state (its input record is not committed either).
 *
 * @param partition    the input partition number the specimen's records arrive on
 * @param closed       true for the closed marker kept after a specimen closes (no cells, no CBC): input
 *                     that arrives for it later is refused, never turned into a second final
 * @param cbcScoredAt  {@code measuredAt} of the CBC whose {@code cbc-only} score was issued, or null
 */
public record SpecimenState(String specimenId, int partition, boolean closed, Instant firstSeen, CbcResult cbc,
                            Instant cbcScoredAt, List<SlideState> slides) {

    public SpecimenState {
        slides = List.copyOf(slides);
    }

    /** The marker of a closed specimen: which slides it had. */
    public static SpecimenState closedMarker(String specimenId, int partition, Instant firstSeen, List<String> slideIds) {
        return new SpecimenState(specimenId, partition, true, firstSeen, null, null,
                slideIds.stream().map(id -> new SlideState(id, List.of(), List.of(), List.of(), -1, false, false, ""))
                        .toList());
    }

    /**
     * One slide: its cells classified or lost so far (in arrival order), the listed cells (flagged blasts and
     * promyelocytes, each with its {@code cellType} and {@code flagged}, as the alert lists them), the scanner's
     * count once it completed the slide (-1 before), and which alert stages were issued.
     */
    public record SlideState(String slideId, List<CellResult> classified, List<String> lost, List<BlastCell> blasts,
                             int expectedCells, boolean preliminarySent, boolean finalSent, String modelVersion) {
        public SlideState {
            classified = List.copyOf(classified);
            lost = List.copyOf(lost);
            blasts = List.copyOf(blasts);
        }
    }
}
