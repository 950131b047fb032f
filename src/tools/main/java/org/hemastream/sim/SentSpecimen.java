package org.hemastream.sim;

import java.time.Instant;
import java.util.List;

/**
 * When each event of one replayed specimen was handed to the producer, for callers that measure
 * latency (e.g. first blast cell sent → blast alert received). Times come from the simulator's clock;
 * the same instants are the events' {@code measuredAt}, {@code capturedAt} and {@code completedAt}
 * and the Kafka record timestamps.
 *
 * @param specimenId          the ID it was sent under (with round / run suffixes)
 * @param specimen            the specimen, under that ID, with its ground truth
 * @param round               1-based repeat round
 * @param cbcSentAt           when the CBC was sent
 * @param cellSentAt          when each cell image was sent, by capture position
 * @param slideCompleteSentAt when slide-complete was sent
 */
public record SentSpecimen(String specimenId, Specimen specimen, int round, Instant cbcSentAt,
                           List<Instant> cellSentAt, Instant slideCompleteSentAt) {

    public SentSpecimen {
        cellSentAt = List.copyOf(cellSentAt);
    }

    /** When the first cell labelled blast was sent, or null when the slide has no blast (ground truth). */
    public Instant firstBlastSentAt() {
        List<SpecimenCell> cells = specimen.cells();
        for (int i = 0; i < cells.size(); i++) {
            if (cells.get(i).blast()) {
                return cellSentAt.get(i);
            }
        }
        return null;
    }
}
