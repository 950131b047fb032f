package org.hemastream.diagnosis.training;

import org.hemastream.diagnosis.FeatureAssembler;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Labelled specimens as features: what {@code train-diagnosis} trains on and {@code evaluate-diagnosis}
 * scores. Built from a synthetic cohort, or read from a site's own export in the CSV format below.
 *
 * <p><b>CSV format</b> (UTF-8, comma-separated, one header line): {@code specimen_id,diagnosis,} then one
 * column per feature, named as {@link FeatureAssembler} names them — CBC codes as the XN reports them
 * ({@code WBC}, {@code NEUT#}, …), {@code flag_<flag>} (0/1), {@code pct_<cellType>} (0–100) and
 * {@code rate_<attribute>=<value>} (0–1). {@code diagnosis} is a class name ({@code normal}, {@code aml},
 * {@code all}, {@code lymphoma}, {@code mpn}, {@code mds} for the reference classes). An empty cell or
 * {@code NA} is a missing value (e.g. morphology of a specimen without a smear). Any other non-numeric
 * value, a row with more or fewer fields than the header, or a missing required column is refused with
 * the row and column named. Field values may not contain commas or quotes.
 *
 * @param values row-major, rows × features.size(); NaN = missing
 * @param labels class index per row (into {@code classes})
 */
public record FeatureTable(List<String> features, List<String> classes, List<String> ids, int[] labels,
                           double[] values) {

    public FeatureTable {
        features = List.copyOf(features);
        classes = List.copyOf(classes);
        ids = List.copyOf(ids);
        if (labels.length != ids.size() || values.length != (long) ids.size() * features.size()) {
            throw new IllegalArgumentException("table shape mismatch");
        }
    }

    /** A CSV that cannot be used, with the file, row and column at fault in the message. */
    public static final class CsvFormatException extends IllegalArgumentException {
        public CsvFormatException(String message) {
            super(message);
        }
    }

    public int rows() {
        return ids.size();
    }

    /** The labels as LightGBM wants them. */
    public float[] floatLabels() {
        float[] out = new float[labels.length];
        for (int i = 0; i < labels.length; i++) {
            out[i] = labels[i];
        }
        return out;
    }

    /**
     * The same rows with exactly these columns, in this order (a model's features).
     *
     * @throws CsvFormatException naming the first column the table lacks
     */
    public FeatureTable select(List<String> wanted, String source) {
        int[] index = new int[wanted.size()];
        for (int j = 0; j < wanted.size(); j++) {
            index[j] = features.indexOf(wanted.get(j));
            if (index[j] < 0) {
                throw new CsvFormatException(source + ": no column '" + wanted.get(j) + "', which the model needs");
            }
        }
        double[] v = new double[rows() * wanted.size()];
        for (int i = 0; i < rows(); i++) {
            for (int j = 0; j < index.length; j++) {
                v[i * index.length + j] = values[i * features.size() + index[j]];
            }
        }
        return new FeatureTable(wanted, classes, ids, labels, v);
    }

    /** The same rows with every morphology feature missing: what a {@code cbc-only} score sees. */
    public FeatureTable withoutMorphology() {
        double[] v = values.clone();
        for (int j = 0; j < features.size(); j++) {
            if (FeatureAssembler.isMorphology(features.get(j))) {
                for (int i = 0; i < rows(); i++) {
                    v[i * features.size() + j] = Double.NaN;
                }
            }
        }
        return new FeatureTable(features, classes, ids, labels, v);
    }

    /** Writes the table in the documented CSV format. */
    public void writeCsv(Path file) throws IOException {
        if (file.toAbsolutePath().getParent() != null) {
            Files.createDirectories(file.toAbsolutePath().getParent());
        }
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("specimen_id,diagnosis");
            for (String f : features) {
                w.write(',');
                w.write(f);
            }
            w.write('\n');
            for (int i = 0; i < rows(); i++) {
                w.write(ids.get(i));
                w.write(',');
                w.write(classes.get(labels[i]));
                for (int j = 0; j < features.size(); j++) {
                    double v = values[i * features.size() + j];
                    w.write(',');
                    w.write(Double.isNaN(v) ? "" : format(v));
                }
                w.write('\n');
            }
        }
    }

    /**
     * Reads a site's CSV export.
     *
     * @param knownClasses the class order to use when every diagnosis in the file is one of them;
     *                     otherwise the classes are the file's diagnoses in order of appearance
     * @throws CsvFormatException naming the row and column at fault
     */
    public static FeatureTable readCsv(Path file, List<String> knownClasses) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty() || lines.get(0).isBlank()) {
            throw new CsvFormatException(file + ": empty file, expected a header line");
        }
        String[] header = split(lines.get(0).replace("\uFEFF", ""));
        int idCol = indexOf(header, "specimen_id", file);
        int dxCol = indexOf(header, "diagnosis", file);
        List<String> features = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (int c = 0; c < header.length; c++) {
            if (!seen.add(header[c])) {
                throw new CsvFormatException(file + ": column '" + header[c] + "' appears twice in the header");
            }
            if (c != idCol && c != dxCol) {
                if (header[c].isBlank()) {
                    throw new CsvFormatException(file + ": header column " + (c + 1) + " has no name");
                }
                features.add(header[c]);
            }
        }
        List<String> ids = new ArrayList<>();
        List<String> dx = new ArrayList<>();
        List<double[]> rows = new ArrayList<>();
        for (int l = 1; l < lines.size(); l++) {
            if (lines.get(l).isBlank()) {
                continue;
            }
            int row = ids.size() + 1;
            String where = file + " row " + row + " (line " + (l + 1) + ")";
            String[] fields = split(lines.get(l));
            if (fields.length < header.length) {
                throw new CsvFormatException(where + ": column '" + header[fields.length] + "' is missing (the row has "
                        + fields.length + " fields, the header " + header.length + ")");
            }
            if (fields.length > header.length) {
                throw new CsvFormatException(where + ": " + fields.length + " fields, the header has only "
                        + header.length + " columns");
            }
            if (fields[idCol].isBlank()) {
                throw new CsvFormatException(where + ", column 'specimen_id': empty");
            }
            if (fields[dxCol].isBlank()) {
                throw new CsvFormatException(where + ", column 'diagnosis': empty");
            }
            double[] v = new double[features.size()];
            int j = 0;
            for (int c = 0; c < header.length; c++) {
                if (c == idCol || c == dxCol) {
                    continue;
                }
                v[j++] = number(fields[c], where, header[c]);
            }
            ids.add(fields[idCol].trim());
            dx.add(fields[dxCol].trim().toLowerCase(Locale.ROOT));
            rows.add(v);
        }
        if (ids.isEmpty()) {
            throw new CsvFormatException(file + ": no data rows");
        }
        List<String> classes = knownClasses.containsAll(dx) ? knownClasses : new ArrayList<>(new LinkedHashSet<>(dx));
        int[] labels = new int[ids.size()];
        double[] values = new double[ids.size() * features.size()];
        for (int i = 0; i < ids.size(); i++) {
            labels[i] = classes.indexOf(dx.get(i));
            System.arraycopy(rows.get(i), 0, values, i * features.size(), features.size());
        }
        return new FeatureTable(features, classes, ids, labels, values);
    }

    private static double number(String field, String where, String column) {
        String t = field.trim();
        if (t.isEmpty() || t.equalsIgnoreCase("NA")) {
            return Double.NaN;
        }
        try {
            double v = Double.parseDouble(t);
            if (Double.isFinite(v)) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new CsvFormatException(where + ", column '" + column + "': '" + t + "' is not a number");
    }

    private static int indexOf(String[] header, String column, Path file) {
        for (int i = 0; i < header.length; i++) {
            if (header[i].trim().equals(column)) {
                return i;
            }
        }
        throw new CsvFormatException(file + ": no column '" + column + "' in the header");
    }

    private static String[] split(String line) {
        String[] f = line.split(",", -1);
        for (int i = 0; i < f.length; i++) {
            f[i] = f[i].trim();
        }
        return f;
    }

    private static String format(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        String s = String.format(Locale.ROOT, "%.6f", v);
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
