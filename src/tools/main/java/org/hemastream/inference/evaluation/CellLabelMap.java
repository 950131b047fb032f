package org.hemastream.inference.evaluation;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import io.vertx.core.json.JsonObject;

/**
 * How each dataset's per-cell labels map to the cell types of the reference classifier, read from
 * {@value #RESOURCE} — the same file the Python training code reads, so training and evaluation map
 * labels identically. Labels a dataset's map does not list are outside the cell types: skipped and counted.
 *
 * <p>A manifest that is none of the bundled datasets (any lab's own cells) is read as a <em>generic</em>
 * manifest ({@code genericManifest} in the file): its labels are the cell-type names, a few documented
 * aliases, or {@value #NON_BLAST} for cells known only not to be blasts.
 *
 * <p>Immutable and thread-safe.
 */
public final class CellLabelMap {

    /** Classpath location of the label map. */
    public static final String RESOURCE = "models/cell-label-map.json";

    /** Name of the labelling of a manifest that is none of the bundled datasets. */
    public static final String GENERIC = "generic";

    /**
     * Pseudo cell type of a generic manifest's cells known only not to be blasts: they count for blast
     * specificity, not for cell-type metrics.
     */
    public static final String NON_BLAST = "non_blast";

    /**
     * Columns that identify a dataset when its folder name is not one of the map's dataset names:
     * a manifest with the column is taken to be that dataset. (Only columns no lab's own manifest would
     * have: {@code patient_id} is a generic manifest's slide column too.)
     */
    private static final Map<String, String> DATASET_BY_COLUMN = orderedMap(
            "fine_label", "pbc_wbcatt",
            "cellavision_class", "deepapl_cellavision",
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

        /**
         * The cell type of a dataset label (or {@value #NON_BLAST} in a generic manifest), empty when the
         * label is outside the cell types. Generic labels are compared trimmed and lower-cased.
         */
        public Optional<String> cellType(String label) {
            if (label == null) {
                return Optional.empty();
            }
            String key = GENERIC.equals(name) ? label.strip().toLowerCase(Locale.ROOT) : label;
            return Optional.ofNullable(map.get(key));
        }

        /** True for the labelling of a lab's own (not bundled) manifest. */
        public boolean generic() {
            return GENERIC.equals(name);
        }
    }

    private final List<String> cellTypes;
    private final Map<String, DatasetLabels> datasets;
    private final Map<String, String> genericAliases;
    private final String genericLabelColumn;

    private CellLabelMap(List<String> cellTypes, Map<String, DatasetLabels> datasets,
                         Map<String, String> genericAliases, String genericLabelColumn) {
        this.cellTypes = List.copyOf(cellTypes);
        this.datasets = datasets;
        this.genericAliases = genericAliases;
        this.genericLabelColumn = genericLabelColumn;
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
        Map<String, String> aliases = new LinkedHashMap<>();
        JsonObject generic = root.getJsonObject("genericManifest", new JsonObject());
        generic.getJsonObject("aliases", new JsonObject()).forEach(e -> {
            String type = (String) e.getValue();
            if (!types.contains(type)) {
                throw new IllegalArgumentException("label map: generic alias '" + e.getKey() + "' maps to '" + type
                        + "', which is not in cellTypes");
            }
            aliases.put(e.getKey().toLowerCase(Locale.ROOT), type);
        });
        String nonBlast = generic.getString("nonBlastLabel", NON_BLAST);
        if (!NON_BLAST.equals(nonBlast)) {
            throw new IllegalArgumentException("label map: genericManifest.nonBlastLabel must be '" + NON_BLAST + "'");
        }
        return new CellLabelMap(types, datasets, Map.copyOf(aliases), generic.getString("labelColumn", "label"));
    }

    /** The aliases a generic manifest may use for cell-type names (lower case), alias to cell type. */
    public Map<String, String> genericAliases() {
        return genericAliases;
    }

    /**
     * The labelling of a lab's own manifest: cell-type names, {@link #genericAliases() aliases} and
     * {@value #NON_BLAST}; {@code source} names the lab in reports.
     */
    public DatasetLabels generic(String source) {
        Map<String, String> map = new LinkedHashMap<>();
        cellTypes.forEach(t -> map.put(t, t));
        map.putAll(genericAliases);
        map.put(NON_BLAST, NON_BLAST);
        return new DatasetLabels(GENERIC, source == null || source.isBlank() ? "lab" : source, genericLabelColumn, map);
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
     * The labelling of a manifest: by its folder name when that is a bundled dataset, else by a column only
     * that dataset has ({@code fine_label}, {@code cellavision_class}, {@code aml_lmu_class}), else the
     * {@link #generic generic} labelling of a lab's own cells, with the folder name as source.
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
        return generic(folderName);
    }

    private static Map<String, String> orderedMap(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }
}
