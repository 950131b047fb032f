package org.hemastream.inference;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The model's reading of one morphological attribute of one cell (e.g. {@code granularity}).
 *
 * @param name          attribute name from the model metadata
 * @param value         the most probable value
 * @param probability   its probability, 0..1
 * @param probabilities every value's probability, in the model's value order (unmodifiable)
 */
public record AttributePrediction(String name, String value, double probability, Map<String, Double> probabilities) {

    public AttributePrediction {
        probabilities = Collections.unmodifiableMap(new LinkedHashMap<>(probabilities));
    }
}
