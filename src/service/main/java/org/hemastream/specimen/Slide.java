package org.hemastream.specimen;

import org.hemastream.events.BlastAlert.BlastCell;
import org.hemastream.events.CellImage;
import org.hemastream.events.CellResult;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One smear of a specimen: its cells as they arrive and are classified. Not thread-safe. */
final class Slide {

    final String slideId;
    /** cellId → capture time, in arrival order. */
    final Map<String, Instant> received = new LinkedHashMap<>();
    final Map<String, CellResult> classified = new LinkedHashMap<>();
    final List<String> lost = new ArrayList<>();
    final List<BlastCell> blasts = new ArrayList<>();
    int expectedCells = -1;
    boolean preliminarySent;
    boolean finalSent;
    String modelVersion = "";

    Slide(String slideId) {
        this.slideId = slideId;
    }

    boolean add(CellImage cell) {
        return received.putIfAbsent(cell.cellId(), cell.capturedAt()) == null;
    }

    int pending() {
        return received.size() - classified.size() - lost.size();
    }

    boolean completed() {
        return expectedCells >= 0;
    }

    /** Completed by the scanner and every received cell classified or lost. */
    boolean done() {
        return completed() && pending() == 0;
    }

    /** Classified cells in capture order. */
    List<CellResult> cellsInCaptureOrder() {
        List<CellResult> out = new ArrayList<>();
        for (String id : received.keySet()) {
            CellResult r = classified.get(id);
            if (r != null) {
                out.add(r);
            }
        }
        return out;
    }

    SpecimenClosed.SlideSummary summary() {
        return new SpecimenClosed.SlideSummary(slideId, received.size(), expectedCells, classified.size(),
                lost.size(), blasts.size());
    }
}
