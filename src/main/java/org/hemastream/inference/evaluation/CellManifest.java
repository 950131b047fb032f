package org.hemastream.inference.evaluation;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A dataset manifest: a CSV whose first columns are {@code file,label,split} (image path relative to the
 * manifest's folder, dataset label, split), plus whatever else the dataset records (patient IDs, WBCAtt
 * attributes, ...). Read as it is; labels are mapped to cell types by {@link CellLabelMap}.
 *
 * <p>Immutable once read.
 */
public final class CellManifest {

    /** Which rows to evaluate; {@code all} is every row except those marked {@code excluded}. */
    public enum Split {
        train, val, test, eval, all;

        boolean accepts(String split) {
            return this == all ? !"excluded".equals(split) : name().equals(split);
        }
    }

    /**
     * One labelled cell of the manifest whose label maps to a cell type.
     *
     * @param image    the image file
     * @param label    the dataset's own label
     * @param cellType the cell type the label maps to
     * @param source   the dataset's source name, e.g. {@code PBC}
     * @param patient  patient (slide) ID, or {@code null} when the manifest has no {@code patient_id}
     * @param columns  the whole CSV row, by column name
     */
    public record ManifestCell(Path image, String label, String cellType, String source, String patient,
                               Map<String, String> columns) {
    }

    /**
     * The rows of one split that map to cell types, and what was skipped.
     *
     * @param cells          the mapped cells, in manifest order
     * @param skippedByLabel rows of the split whose label is outside the cell types, by label
     */
    public record Selection(List<ManifestCell> cells, Map<String, Integer> skippedByLabel) {
    }

    private final Path path;
    private final List<String> columns;
    private final List<Map<String, String>> rows;
    private final CellLabelMap.DatasetLabels labels;

    private CellManifest(Path path, List<String> columns, List<Map<String, String>> rows,
                         CellLabelMap.DatasetLabels labels) {
        this.path = path;
        this.columns = List.copyOf(columns);
        this.rows = rows;
        this.labels = labels;
    }

    /**
     * Reads a manifest and picks its labelling from the label map (by folder name, else by columns).
     *
     * @throws IllegalArgumentException when the CSV lacks {@code file}, {@code split} or its label column
     */
    public static CellManifest read(Path csv, CellLabelMap labelMap) throws IOException {
        List<List<String>> records = parseCsv(Files.readString(csv, StandardCharsets.UTF_8));
        if (records.isEmpty()) {
            throw new IllegalArgumentException("manifest " + csv + " is empty");
        }
        List<String> header = records.get(0);
        Path folder = csv.toAbsolutePath().getParent();
        String folderName = folder.getFileName() == null ? "" : folder.getFileName().toString();
        CellLabelMap.DatasetLabels labels = labelMap.forManifest(folderName, header);
        for (String required : List.of("file", "split", labels.labelColumn())) {
            if (!header.contains(required)) {
                throw new IllegalArgumentException("manifest " + csv + " has no column '" + required + "'");
            }
        }
        List<Map<String, String>> rows = new ArrayList<>(records.size() - 1);
        for (int r = 1; r < records.size(); r++) {
            List<String> fields = records.get(r);
            if (fields.size() == 1 && fields.get(0).isEmpty()) {
                continue;
            }
            Map<String, String> row = new HashMap<>(header.size() * 2);
            for (int c = 0; c < header.size(); c++) {
                row.put(header.get(c), c < fields.size() ? fields.get(c) : "");
            }
            rows.add(Collections.unmodifiableMap(row));
        }
        return new CellManifest(csv, header, rows, labels);
    }

    public Path path() {
        return path;
    }

    public List<String> columns() {
        return columns;
    }

    public CellLabelMap.DatasetLabels labels() {
        return labels;
    }

    /** Rows per split name, sorted by name. */
    public Map<String, Integer> splitCounts() {
        Map<String, Integer> counts = new TreeMap<>();
        rows.forEach(r -> counts.merge(r.get("split"), 1, Integer::sum));
        return counts;
    }

    /** True when the manifest records a patient (slide) per cell. */
    public boolean hasPatients() {
        return columns.contains("patient_id");
    }

    /**
     * The rows of {@code split} whose label maps to a cell type.
     *
     * @throws IllegalArgumentException when the manifest has no rows at all in that split
     */
    public Selection select(Split split) {
        Path folder = path.toAbsolutePath().getParent();
        List<ManifestCell> cells = new ArrayList<>();
        Map<String, Integer> skipped = new TreeMap<>();
        int inSplit = 0;
        for (Map<String, String> row : rows) {
            if (!split.accepts(row.get("split"))) {
                continue;
            }
            inSplit++;
            String label = row.get(labels.labelColumn());
            String type = labels.map().get(label);
            if (type == null) {
                skipped.merge(label, 1, Integer::sum);
                continue;
            }
            String patient = hasPatients() ? row.get("patient_id") : null;
            cells.add(new ManifestCell(folder.resolve(row.get("file")), label, type, labels.source(), patient, row));
        }
        if (inSplit == 0) {
            throw new IllegalArgumentException("manifest " + path + " has no rows in split '" + split
                    + "' (its splits: " + splitCounts() + "); choose one with --split");
        }
        return new Selection(cells, new LinkedHashMap<>(skipped));
    }

    /**
     * RFC 4180 CSV: commas, double-quoted fields with doubled quotes, CRLF or LF, line breaks inside quotes
     * (DeepAPL's {@code "Blast, no lineage spec"}); a leading BOM and blank lines are ignored; text that ends
     * inside a quoted field is refused. The one CSV reader of the data-set manifests (the simulator's
     * {@code ManifestCsv} uses it too).
     *
     * @throws IllegalArgumentException when the text ends inside a quoted field
     */
    public static List<List<String>> parseCsv(String text) {
        List<List<String>> records = new ArrayList<>();
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        boolean any = false;
        int i = text.startsWith("\uFEFF") ? 1 : 0;
        for (; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (quoted) {
                if (ch == '"') {
                    if (i + 1 < text.length() && text.charAt(i + 1) == '"') {
                        field.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    field.append(ch);
                }
            } else if (ch == '"') {
                quoted = true;
                any = true;
            } else if (ch == ',') {
                fields.add(field.toString());
                field.setLength(0);
                any = true;
            } else if (ch == '\r') {
                continue;
            } else if (ch == '\n') {
                if (any) {
                    fields.add(field.toString());
                    records.add(fields);
                }
                fields = new ArrayList<>();
                field.setLength(0);
                any = false;
            } else {
                field.append(ch);
                any = true;
            }
        }
        if (quoted) {
            throw new IllegalArgumentException("CSV ends inside a quoted field");
        }
        if (any) {
            fields.add(field.toString());
            records.add(fields);
        }
        return records;
    }
}
