package org.hemastream.diagnosis;

import org.hemastream.inference.CellModelMetadata;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a cell model can say about a cell: its cell types and, per morphological attribute, the values
 * it predicts. Taken from the model's own metadata, so the diagnostic features it can supply are known
 * before any cell arrives. Immutable.
 *
 * @param cellTypes  class names, in the model's order
 * @param attributes attribute name → its values, in the model's order
 */
public record CellVocabulary(List<String> cellTypes, Map<String, List<String>> attributes) {

    public CellVocabulary {
        cellTypes = List.copyOf(cellTypes);
        Map<String, List<String>> copy = new LinkedHashMap<>();
        attributes.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        attributes = Collections.unmodifiableMap(copy);
    }

    /** The vocabulary of a loaded cell model. */
    public static CellVocabulary of(CellModelMetadata metadata) {
        Map<String, List<String>> attributes = new LinkedHashMap<>();
        for (CellModelMetadata.AttributeSpec a : metadata.attributes()) {
            attributes.put(a.name(), a.values());
        }
        return new CellVocabulary(metadata.cellTypes(), attributes);
    }
}
