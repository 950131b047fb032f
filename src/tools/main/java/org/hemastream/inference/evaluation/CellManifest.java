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
 * A dataset manifest: a CSV with columns {@code file,label,split} (image path relative to the manifest's
 * folder, label, split), plus whatever else the dataset records (WBCAtt attributes, ...). A
 * {@code slide_id} column, else a {@code patient_id} column, names each cell's slide (one slide per
 * patient). Read as it is; labels are mapped to cell types by {@link CellLabelMap} — a bundled dataset's
 * map, or the generic labelling of any lab's manifest.
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
     * @param cellType the cell type the label maps to, or {@link CellLabelMap#NON_BLAST}
     * @param source   the dataset's source name, e.g. {@code PBC}
     * @param slide    slide (or patient) ID, or {@code null} when the manifest has neither column
     * @param columns  the whole CSV row, by column name
     */
    public record ManifestCell(Path image, String label, String cellType, String source, String slide,
                               Map<String, String> columns) {

        /** True for a cell known only not to be a blast (no cell type). */
        public boolean nonBlastOnly() {
            return CellLabelMap.NON_BLAST.equals(cellType);
        }

        /** True when the label says blast. */
        public boolean trueBlast() {
            return "blast".equals(cellType);
        }
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
    private final String sha256;

    private CellManifest(Path path, List<String> columns, List<Map<String, String>> rows,
                         CellLabelMap.DatasetLabels labels, String sha256) {
        this.sha256 = sha256;
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
        byte[] bytes = Files.readAllBytes(csv);
        List<List<String>> records = parseCsv(new String(bytes, StandardCharsets.UTF_8));
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
        return new CellManifest(csv, header, rows, labels, org.hemastream.inference.CellClassifier.sha256(bytes));
    }

    /** SHA-256 of the manifest file as read (hex). */
    public String sha256() {
        return sha256;
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

    /** The column naming each cell's slide: {@code slide_id}, else {@code patient_id}, else null. */
    public String slideColumn() {
        return columns.contains("slide_id") ? "slide_id" : columns.contains("patient_id") ? "patient_id" : null;
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
            String type = labels.cellType(label).orElse(null);
            if (type == null) {
                skipped.merge(label, 1, Integer::sum);
                continue;
            }
            String slideColumn = slideColumn();
            String slide = slideColumn == null || row.get(slideColumn).isBlank() ? null : row.get(slideColumn);
            cells.add(new ManifestCell(folder.resolve(row.get("file")), label, type, labels.source(), slide, row));
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
