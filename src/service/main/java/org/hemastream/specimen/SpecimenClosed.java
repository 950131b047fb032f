package org.hemastream.specimen;

import org.hemastream.events.CbcResult;
import org.hemastream.events.CellResult;
import org.hemastream.events.RecordOrigin;

import java.util.List;

/**
 * A specimen the book no longer tracks: complete, or expired with what was missing.
 *
 * @param reasons  why it is partial (empty when complete), e.g. {@code no-cbc}, {@code slide S1: 3 cells lost}
 * @param origins  every input record it held: once its outputs are acknowledged, their offsets may be committed
 * @param cbc      the latest CBC, or null
 * @param cells    the classified cells of all its slides, in capture order
 */
public record SpecimenClosed(String specimenId, Completeness completeness, List<String> reasons,
                             List<RecordOrigin> origins, CbcResult cbc, List<SlideSummary> slides,
                             List<CellResult> cells) {

    public enum Completeness {
        COMPLETE, PARTIAL;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * @param expectedCells the scanner's cellCount, or -1 when the slide never completed
     */
    public record SlideSummary(String slideId, int receivedCells, int expectedCells, int classifiedCells,
                               int lostCells, int blastCells) {
    }
}
