package org.hemastream.events;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One diagnostic score of a specimen, as published on {@code hema.diagnostic-scores}. Decision support
 * for a hematologist, not a diagnosis.
 *
 * @param scoreId          name-based UUID of (specimenId, stage): a re-score (CBC rerun, replay) re-sends
 *                         the same ID, so consumers keep the latest per ID
 * @param probabilities    class → probability, in the model's class order (sums to 1)
 * @param leading          the most probable classes, each with the features that pushed it most
 * @param completeness     what the score was computed from
 */
public record DiagnosticScore(String scoreId, String specimenId, Stage stage, Map<String, Double> probabilities,
                              List<ClassExplanation> leading, String diagnosticModelVersion,
                              String cellModelVersion, Completeness completeness, Instant issuedAt) {

    public DiagnosticScore {
        probabilities = Collections.unmodifiableMap(new LinkedHashMap<>(probabilities));
        leading = List.copyOf(leading);
    }

    /** When in a specimen's life the score was computed. */
    public enum Stage {
        /** On the CBC alone, as soon as it arrives: morphology features missing. */
        CBC_ONLY("cbc-only"),
        /** When the specimen closed (complete or partial), with whatever morphology it has. */
        FINAL("final");

        private final String wireName;

        Stage(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }
    }

    /**
     * One leading class and its top contributions.
     *
     * @param contributions by decreasing absolute contribution
     */
    public record ClassExplanation(String diagnosis, double probability, List<Contribution> contributions) {
        public ClassExplanation {
            contributions = List.copyOf(contributions);
        }
    }

    /**
     * A feature's push on one class's raw score (log-odds scale, LightGBM {@code predict_contrib}).
     *
     * @param value the feature's value, NaN when missing
     */
    public record Contribution(String feature, double value, double contribution) {
    }

    /**
     * What went into the score.
     *
     * @param specimen        {@code open} (cbc-only), {@code complete} or {@code partial}
     * @param reasons         why partial (from the specimen's lifecycle), empty otherwise
     * @param cbcAvailable    whether a CBC was used
     * @param classifiedCells classified cells the morphology features were taken from (0 = none)
     */
    public record Completeness(String specimen, List<String> reasons, boolean cbcAvailable, int classifiedCells) {
        public Completeness {
            reasons = List.copyOf(reasons);
        }
    }

    /**
     * The deterministic ID of a revised {@code cbc-only} score: the score of a CBC rerun (a newer measurement
     * of a specimen that already has a {@code cbc-only} score) is named by the measurement, so an ID never
     * names two contents. The first {@code cbc-only} and the {@code final} score use {@link #scoreId(String, Stage)}.
     *
     * @param cbcMeasuredAt the rerun's {@code measuredAt}; null gives {@link #scoreId(String, Stage)}
     */
    public static String scoreId(String specimenId, Stage stage, Instant cbcMeasuredAt) {
        if (stage == Stage.CBC_ONLY && cbcMeasuredAt != null) {
            String name = "hemastream/diagnostic-score/" + specimenId + "/cbc-only/" + cbcMeasuredAt;
            return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
        }
        return scoreId(specimenId, stage);
    }

    /** The deterministic score ID of one stage of one specimen (without a CBC measurement). */
    public static String scoreId(String specimenId, Stage stage) {
        String name = "hemastream/diagnostic-score/" + specimenId + "/" + stage.wireName();
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
    }
}
