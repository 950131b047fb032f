package org.hemastream.sim;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;

/**
 * The order in which the analyzer line emits its events: pure, no I/O. A specimen's own events keep
 * their order — CBC (where {@link SimulationOptions.CbcTiming} puts it), its cells in capture order,
 * then slide-complete — while {@link SimulationOptions#parallelSlides()} slides are in progress at once,
 * like several scanners on one line, their events interleaved at random. Specimens start in list
 * order (all of round 1, then round 2, …). The same specimens and options (seed included) give the
 * same order.
 */
public final class LineSchedule implements Iterable<LineSchedule.PlannedEvent> {

    /** What an event is. */
    public enum Kind { CBC_RESULT, CELL_IMAGE, SLIDE_COMPLETE }

    /**
     * One event to send.
     *
     * @param sequence  0-based position in the whole schedule
     * @param kind      what to send
     * @param specimen  the specimen under the ID it is sent with (see {@link SimulationOptions#specimenIdFor})
     * @param round     1-based repeat round
     * @param cellIndex 0-based capture position for {@link Kind#CELL_IMAGE}, else -1
     * @param last      whether this is the specimen's last event
     */
    public record PlannedEvent(long sequence, Kind kind, Specimen specimen, int round, int cellIndex, boolean last) {
    }

    private final List<Specimen> specimens;
    private final SimulationOptions options;

    public LineSchedule(List<Specimen> specimens, SimulationOptions options) {
        this.specimens = List.copyOf(specimens);
        this.options = options;
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (Specimen s : this.specimens) {
            if (!ids.add(s.specimenId())) {
                throw new IllegalArgumentException("specimen " + s.specimenId() + " is listed twice; IDs must be unique");
            }
            options.specimenIdFor(s, options.repeat()); // fails early on IDs that would be too long
        }
    }

    /** Events in total: per specimen and round, its cells plus the CBC and slide-complete. */
    public long size() {
        long perRound = specimens.stream().mapToLong(s -> s.cells().size() + 2L).sum();
        return perRound * options.repeat();
    }

    /** The whole schedule as a list (tests, small runs); {@link #iterator()} is lazy for load tests. */
    public List<PlannedEvent> toList() {
        List<PlannedEvent> all = new ArrayList<>();
        forEach(all::add);
        return all;
    }

    @Override
    public Iterator<PlannedEvent> iterator() {
        return new Interleaver();
    }

    /** One slide in progress on one lane. */
    private static final class Lane {
        final Specimen specimen;
        final int round;
        int step;

        Lane(Specimen specimen, int round) {
            this.specimen = specimen;
            this.round = round;
        }

        int steps() {
            return specimen.cells().size() + 2;
        }
    }

    private final class Interleaver implements Iterator<PlannedEvent> {
        private final Random rnd = new Random(options.seed());
        private final List<Lane> lanes = new ArrayList<>();
        private int nextSpecimen;
        private int round = 1;
        private long sequence;

        Interleaver() {
            while (lanes.size() < options.parallelSlides() && hasQueued()) {
                lanes.add(dequeue());
            }
        }

        @Override
        public boolean hasNext() {
            return !lanes.isEmpty();
        }

        @Override
        public PlannedEvent next() {
            if (lanes.isEmpty()) {
                throw new NoSuchElementException();
            }
            int laneIndex = lanes.size() == 1 ? 0 : rnd.nextInt(lanes.size());
            Lane lane = lanes.get(laneIndex);
            PlannedEvent event = eventAt(lane);
            lane.step++;
            if (lane.step == lane.steps()) {
                // The freed scanner takes the next queued slide; keeping the lane's place keeps the draw stable.
                if (hasQueued()) {
                    lanes.set(laneIndex, dequeue());
                } else {
                    lanes.remove(laneIndex);
                }
            }
            return event;
        }

        private PlannedEvent eventAt(Lane lane) {
            int n = lane.specimen.cells().size();
            int step = lane.step;
            boolean last = step == n + 1;
            int cbcStep = switch (options.cbcTiming()) {
                case BEFORE_SMEAR -> 0;
                case MIDWAY -> n / 2;
                case AFTER_SMEAR -> n + 1;
            };
            int slideCompleteStep = options.cbcTiming() == SimulationOptions.CbcTiming.AFTER_SMEAR ? n : n + 1;
            long seq = sequence++;
            if (step == cbcStep) {
                return new PlannedEvent(seq, Kind.CBC_RESULT, lane.specimen, lane.round, -1, last);
            }
            if (step == slideCompleteStep) {
                return new PlannedEvent(seq, Kind.SLIDE_COMPLETE, lane.specimen, lane.round, -1, last);
            }
            int cellIndex = step > cbcStep ? step - 1 : step;
            return new PlannedEvent(seq, Kind.CELL_IMAGE, lane.specimen, lane.round, cellIndex, last);
        }

        private boolean hasQueued() {
            return !specimens.isEmpty() && round <= options.repeat();
        }

        private Lane dequeue() {
            Specimen s = specimens.get(nextSpecimen);
            Lane lane = new Lane(s.withSpecimenId(options.specimenIdFor(s, round)), round);
            if (++nextSpecimen == specimens.size()) {
                nextSpecimen = 0;
                round++;
            }
            return lane;
        }
    }
}
