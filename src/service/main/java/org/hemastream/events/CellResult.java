package org.hemastream.events;

import java.time.Instant;
import java.util.Map;

/**
 * The classification of one cell, as published on {@code hema.cell-results}. Contains no wall-clock
 * time of processing, so a replay of the same image through the same model yields an identical event.
 *
 * @param probabilities cell type → probability, in the model's class order
 * @param attributes    morphological characteristic → most probable value with its probability
 * @param blast         whether P(blast) reached the model's shipped blast threshold
 */
public record CellResult(String specimenId, String slideId, String cellId, Instant capturedAt, String modelVersion,
                         String cellType, double probability, Map<String, Double> probabilities,
                         Map<String, AttributeCall> attributes, boolean blast) {

    public CellResult {
        probabilities = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(probabilities));
        attributes = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(attributes));
    }

    /** P(blast), or 0 when the model has no blast class. */
    public double blastProbability() {
        return probabilities.getOrDefault("blast", 0.0);
    }

    /** One characteristic's most probable value. */
    public record AttributeCall(String value, double probability) {
    }
}
