package org.hemastream.sim;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How {@link AnalyzerLineSimulator} replays specimens. Immutable; validated on construction with a
 * message naming the option and its allowed range.
 *
 * @param cellsPerSecond  cell images per second over the whole line; 0 = as fast as the producer takes them
 * @param repeat          rounds of the whole specimen list (load tests); with more than one, every round
 *                        gets fresh specimen IDs ({@code -R1}, {@code -R2}, …)
 * @param parallelSlides  slides in progress at once (scanners on the line), interleaving their events
 * @param cbcTiming       when a specimen's CBC is sent relative to its smear
 * @param seed            seeds the interleaving: the same seed and specimens give the same event order
 * @param cbcTopic        topic of {@code cbc-result} events
 * @param capturesTopic   topic of {@code cell-image} and {@code slide-complete} events
 * @param idSuffix        appended to every specimen ID (e.g. a run tag, so reruns against the same
 *                        cluster do not reuse IDs); empty for none
 */
public record SimulationOptions(double cellsPerSecond, int repeat, int parallelSlides, CbcTiming cbcTiming, long seed,
                                String cbcTopic, String capturesTopic, String idSuffix) {

    /** When the XN's CBC reaches Kafka relative to the scanner's cells. */
    public enum CbcTiming {
        /** The usual order: the tube is counted before its smear is made and scanned. */
        BEFORE_SMEAR,
        /** Halfway through the slide: alerts issued before and after the CBC arrives. */
        MIDWAY,
        /** After slide-complete: a delayed or rerun CBC; the service must still join it. */
        AFTER_SMEAR
    }

    public static final String DEFAULT_CBC_TOPIC = "lab.cbc.results";
    public static final String DEFAULT_CAPTURES_TOPIC = "lab.cell.captures";
    private static final Pattern SUFFIX = Pattern.compile("[A-Za-z0-9._-]{0,20}");
    private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    public SimulationOptions {
        if (!(cellsPerSecond >= 0) || Double.isInfinite(cellsPerSecond)) {
            throw new IllegalArgumentException("cellsPerSecond must be >= 0 (0 = unthrottled), was " + cellsPerSecond);
        }
        if (repeat < 1 || repeat > 10_000) {
            throw new IllegalArgumentException("repeat must be 1..10000, was " + repeat);
        }
        if (parallelSlides < 1 || parallelSlides > 64) {
            throw new IllegalArgumentException("parallelSlides must be 1..64, was " + parallelSlides);
        }
        Objects.requireNonNull(cbcTiming, "cbcTiming");
        for (String topic : new String[] {cbcTopic, capturesTopic}) {
            if (topic == null || !TOPIC.matcher(topic).matches()) {
                throw new IllegalArgumentException("topic names must be 1..249 characters of [a-zA-Z0-9._-], was '" + topic + "'");
            }
        }
        if (cbcTopic.equals(capturesTopic)) {
            throw new IllegalArgumentException("cbcTopic and capturesTopic must differ, both were '" + cbcTopic + "'");
        }
        if (idSuffix == null || !SUFFIX.matcher(idSuffix).matches()) {
            throw new IllegalArgumentException("idSuffix must be 0..20 characters of [A-Za-z0-9._-], was '" + idSuffix + "'");
        }
    }

    /** Unthrottled, one round, 3 slides in parallel, CBC before smear, seed 42, the default topics. */
    public static SimulationOptions defaults() {
        return new SimulationOptions(0, 1, 3, CbcTiming.BEFORE_SMEAR, 42L, DEFAULT_CBC_TOPIC, DEFAULT_CAPTURES_TOPIC, "");
    }

    public SimulationOptions withCellsPerSecond(double value) {
        return new SimulationOptions(value, repeat, parallelSlides, cbcTiming, seed, cbcTopic, capturesTopic, idSuffix);
    }

    public SimulationOptions withRepeat(int value) {
        return new SimulationOptions(cellsPerSecond, value, parallelSlides, cbcTiming, seed, cbcTopic, capturesTopic, idSuffix);
    }

    public SimulationOptions withParallelSlides(int value) {
        return new SimulationOptions(cellsPerSecond, repeat, value, cbcTiming, seed, cbcTopic, capturesTopic, idSuffix);
    }

    public SimulationOptions withCbcTiming(CbcTiming value) {
        return new SimulationOptions(cellsPerSecond, repeat, parallelSlides, value, seed, cbcTopic, capturesTopic, idSuffix);
    }

    public SimulationOptions withSeed(long value) {
        return new SimulationOptions(cellsPerSecond, repeat, parallelSlides, cbcTiming, value, cbcTopic, capturesTopic, idSuffix);
    }

    public SimulationOptions withTopics(String cbc, String captures) {
        return new SimulationOptions(cellsPerSecond, repeat, parallelSlides, cbcTiming, seed, cbc, captures, idSuffix);
    }

    public SimulationOptions withIdSuffix(String value) {
        return new SimulationOptions(cellsPerSecond, repeat, parallelSlides, cbcTiming, seed, cbcTopic, capturesTopic, value);
    }

    /** The specimen ID sent for {@code specimen} in 1-based {@code round}. */
    public String specimenIdFor(Specimen specimen, int round) {
        String id = specimen.specimenId() + (repeat > 1 ? "-R" + round : "") + idSuffix;
        if (id.length() > 61) {
            throw new IllegalArgumentException("specimen ID " + id + " is longer than 61 characters; shorten idSuffix");
        }
        return id;
    }
}
