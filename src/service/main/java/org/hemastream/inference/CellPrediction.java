package org.hemastream.inference;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * What the cell model says about one cell image. Immutable; maps keep the model's order.
 *
 * @param typeProbabilities probability of every cell type, keyed by class name, in model order (sum ~1)
 * @param topType           the most probable cell type
 * @param topProbability    its probability, 0..1
 * @param attributes        one prediction per morphological attribute, keyed by attribute name, in model order
 * @param blastProbability  P(blast), empty when the model has no blast class
 * @param blastFlagged      true when P(blast) reaches the model's shipped blast threshold; the cell then
 *                          counts as a blast for alerting, whatever its top type
 */
public record CellPrediction(Map<String, Double> typeProbabilities, String topType, double topProbability,
                             Map<String, AttributePrediction> attributes, OptionalDouble blastProbability,
                             boolean blastFlagged) {

    public CellPrediction {
        typeProbabilities = Collections.unmodifiableMap(new LinkedHashMap<>(typeProbabilities));
        attributes = Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
    }

    /**
     * Probability of one cell type.
     *
     * @throws IllegalArgumentException when the model has no such class
     */
    public double probabilityOf(String cellType) {
        Double p = typeProbabilities.get(cellType);
        if (p == null) {
            throw new IllegalArgumentException("the model has no cell type '" + cellType + "'; it has "
                    + typeProbabilities.keySet());
        }
        return p;
    }
}
