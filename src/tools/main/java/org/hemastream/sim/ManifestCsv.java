package org.hemastream.sim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A data set's {@code manifest.csv} (RFC 4180: quoted fields may hold commas, doubled quotes and line
 * breaks — DeepAPL's {@code cellavision_class} does, e.g. {@code "Blast, no lineage spec"}). Rows keep
 * the file's order. Immutable once read.
 */
final class ManifestCsv {

    private final Path file;
    private final List<String> header;
    private final List<List<String>> rows;

    private ManifestCsv(Path file, List<String> header, List<List<String>> rows) {
        this.file = file;
        this.header = header;
        this.rows = rows;
    }

    /** Reads the whole manifest; fails with the file name when it is missing or malformed. */
    static ManifestCsv read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read manifest " + file, e);
        }
        List<List<String>> records = parse(text, file);
        if (records.isEmpty()) {
            throw new IllegalArgumentException("manifest " + file + " is empty");
        }
        List<String> header = records.get(0);
        for (int i = 1; i < records.size(); i++) {
            if (records.get(i).size() != header.size()) {
                throw new IllegalArgumentException("manifest " + file + " record " + i + " has "
                        + records.get(i).size() + " fields, the header " + header.size());
            }
        }
        return new ManifestCsv(file, List.copyOf(header), Collections.unmodifiableList(records.subList(1, records.size())));
    }

    /** The rows as column name → value, in file order. */
    List<Map<String, String>> rows() {
        List<Map<String, String>> out = new ArrayList<>(rows.size());
        for (List<String> row : rows) {
            Map<String, String> m = new HashMap<>();
            for (int i = 0; i < header.size(); i++) {
                m.put(header.get(i), row.get(i));
            }
            out.add(m);
        }
        return out;
    }

    /** Fails with a clear message unless every named column exists. */
    ManifestCsv requireColumns(String... columns) {
        for (String c : columns) {
            if (!header.contains(c)) {
                throw new IllegalArgumentException("manifest " + file + " has no column '" + c + "' (columns: " + header + ")");
            }
        }
        return this;
    }

    private static List<List<String>> parse(String text, Path file) {
        try {
            return org.hemastream.inference.evaluation.CellManifest.parseCsv(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("manifest " + file + ": " + e.getMessage(), e);
        }
    }
}
