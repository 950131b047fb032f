package org.hemastream.inference.evaluation;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.vertx.core.json.JsonObject;

/**
 * How each dataset's per-cell labels map to the cell types of the reference classifier, read from
 * {@value #RESOURCE} — the same file the Python training code reads, so training and evaluation map
 * labels identically. Labels a dataset's map does not list are outside the cell types: skipped and counted.
 *
 * <p>Immutable and thread-safe.
 */
public final class CellLabelMap {

    /** Classpath location of the label map. */
    public static final String RESOURCE = "models/cell-label-map.json";

    /**
     * Columns that identify a dataset when its folder name is not one of the map's dataset names:
     * a manifest with the column is taken to be that dataset.
     */
    private static final Map<String, String> DATASET_BY_COLUMN = orderedMap(
            "fine_label", "pbc_wbcatt",
            "patient_id", "deepapl_cellavision",
            "aml_lmu_class", "crosssite_aml_lmu");

    /**
     * One dataset's labelling.
     *
     * @param name        dataset name, e.g. {@code pbc_wbcatt}
     * @param source      short source name for reports, e.g. {@code PBC}
     * @param labelColumn the manifest column holding the label to map
     * @param map         dataset label to cell type
     */
    public record DatasetLabels(String name, String source, String labelColumn, Map<String, String> map) {
        public DatasetLabels {
            map = Map.copyOf(map);
        }

        /** The cell type of a dataset label, empty when the label is outside the cell types. */
        public Optional<String> cellType(String label) {
            return Optional.ofNullable(map.get(label));
        }
    }

    private final List<String> cellTypes;
    private final Map<String, DatasetLabels> datasets;

    private CellLabelMap(List<String> cellTypes, Map<String, DatasetLabels> datasets) {
        this.cellTypes = List.copyOf(cellTypes);
        this.datasets = datasets;
    }

    /** Reads {@value #RESOURCE} from the classpath. */
    public static CellLabelMap load() throws IOException {
        try (InputStream in = CellLabelMap.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IOException("label map " + RESOURCE + " is not on the classpath");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    /** Parses the label map JSON. */
    public static CellLabelMap parse(String json) {
        JsonObject root = new JsonObject(json);
        List<String> types = new ArrayList<>();
        root.getJsonArray("cellTypes").forEach(t -> types.add((String) t));
        Map<String, DatasetLabels> datasets = new LinkedHashMap<>();
        JsonObject ds = root.getJsonObject("datasets");
        for (String name : ds.fieldNames()) {
            JsonObject d = ds.getJsonObject(name);
            Map<String, String> map = new LinkedHashMap<>();
            d.getJsonObject("map").forEach(e -> map.put(e.getKey(), (String) e.getValue()));
            for (String type : map.values()) {
                if (!types.contains(type)) {
                    throw new IllegalArgumentException("label map: dataset " + name + " maps to '" + type
                            + "', which is not in cellTypes");
                }
            }
            datasets.put(name, new DatasetLabels(name, d.getString("source", name), d.getString("labelColumn"), map));
        }
        return new CellLabelMap(types, datasets);
    }

    /** The cell types, in the reference model's order. */
    public List<String> cellTypes() {
        return cellTypes;
    }

    /** Dataset names the map knows. */
    public Collection<String> datasetNames() {
        return datasets.keySet();
    }

    /**
     * The labelling of a manifest: by its folder name when that is a known dataset, otherwise by a
     * column only that dataset has ({@code fine_label}, {@code patient_id}, {@code aml_lmu_class}).
     *
     * @throws IllegalArgumentException when neither identifies a dataset
     */
    public DatasetLabels forManifest(String folderName, Collection<String> columns) {
        DatasetLabels byName = datasets.get(folderName);
        if (byName != null) {
            return byName;
        }
        for (Map.Entry<String, String> e : DATASET_BY_COLUMN.entrySet()) {
            if (columns.contains(e.getKey()) && datasets.containsKey(e.getValue())) {
                return datasets.get(e.getValue());
            }
        }
        throw new IllegalArgumentException("cannot tell which dataset the manifest in folder '" + folderName
                + "' is: name the folder one of " + datasets.keySet() + " or give it one of the columns "
                + DATASET_BY_COLUMN.keySet());
    }

    private static Map<String, String> orderedMap(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }
}
