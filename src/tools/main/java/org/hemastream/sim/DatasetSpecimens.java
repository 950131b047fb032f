package org.hemastream.sim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds simulated specimens from the real cell-image data sets under a datasets folder
 * ({@code ../shared/datasets}): DeepAPL's held-out AML/APL patients replayed as real smears, and
 * healthy smears assembled from PBC's test cells. Only held-out ({@code split=test}) cells are used, so
 * replaying a specimen measures the classifier on cells it was not trained or tuned on.
 * Deterministic for a given seed; reads files, so call it off any event loop.
 */
public final class DatasetSpecimens {

    /** Folder (and provenance name) of the DeepAPL CellaVision set. */
    public static final String DEEPAPL = "deepapl_cellavision";
    /** Folder (and provenance name) of the PBC / WBCAtt set. */
    public static final String PBC = "pbc_wbcatt";

    private static final Logger log = LoggerFactory.getLogger(DatasetSpecimens.class);
    private static final Pattern CAPTURE_NUMBER = Pattern.compile("_(\\d+)\\.[A-Za-z]+$");
    private static final Pattern PATIENT_NUMBER = Pattern.compile("Patient_(\\d+)");

    private final Path datasetsDir;
    private final long seed;
    private final CbcSynthesizer cbcs = new CbcSynthesizer();

    /**
     * @param datasetsDir the folder holding {@code deepapl_cellavision/} and {@code pbc_wbcatt/}
     * @param seed        seeds the healthy differentials and every CBC
     */
    public DatasetSpecimens(Path datasetsDir, long seed) {
        this.datasetsDir = datasetsDir;
        this.seed = seed;
    }

    /** Every DeepAPL test patient, ordered by patient number (the clinical case last). */
    public List<Specimen> deepAplTestPatients() {
        Map<String, List<Map<String, String>>> byPatient = deepAplTestRows();
        List<String> ids = new ArrayList<>(byPatient.keySet());
        ids.sort(Comparator.comparingInt(DatasetSpecimens::patientNumber).thenComparing(Comparator.naturalOrder()));
        return specimens(byPatient, ids);
    }

    /** The named DeepAPL test patients ({@code Patient_92}, …), in the order given. */
    public List<Specimen> deepAplTestPatients(Collection<String> patientIds) {
        Map<String, List<Map<String, String>>> byPatient = deepAplTestRows();
        for (String id : patientIds) {
            if (!byPatient.containsKey(id)) {
                throw new IllegalArgumentException(id + " is not a DeepAPL test patient; test patients: " + byPatient.keySet());
            }
        }
        return specimens(byPatient, List.copyOf(patientIds));
    }

    /**
     * The specimen ID of a DeepAPL patient: {@code DEMO-<diagnosis>-<patient number>}, e.g.
     * {@code DEMO-AML-02} for {@code Patient_02}; the clinical case becomes {@code DEMO-UNKNOWN-CC}.
     */
    public static String specimenIdFor(String patientId, Diagnosis diagnosis) {
        Matcher m = PATIENT_NUMBER.matcher(patientId);
        String number = m.matches() ? m.group(1) : "CC";
        return "DEMO-" + diagnosis.name() + "-" + number;
    }

    /**
     * {@code count} healthy smears assembled from PBC test cells with a normal adult differential:
     * about 57 % segmented and 1–5 % band neutrophils, 22–38 % lymphocytes, 4–9 % monocytes,
     * 1–5 % eosinophils, at most one basophil, and 1–3 platelets; 101–148 cells, no immature cells.
     * Cells are dealt from a shuffled deck per class, so no cell repeats until a class runs out
     * (PBC has 247 segmented test neutrophils: from about the fourth smear on, cells recur, in other
     * smears and orders). Smear <i>i</i> is the same whatever {@code count} is.
     */
    public List<Specimen> healthy(int count) {
        if (count < 0) {
            throw new IllegalArgumentException("healthy specimen count must be >= 0, was " + count);
        }
        if (count == 0) {
            return List.of();
        }
        Map<String, Deck> decks = pbcTestDecks();
        List<Specimen> out = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            Random rnd = CbcSynthesizer.randomFor(seed, "healthy-smear-" + i);
            int wbcCells = 100 + rnd.nextInt(46);
            int band = Math.max(1, (int) Math.round(wbcCells * (0.01 + 0.04 * rnd.nextDouble())));
            int lymph = (int) Math.round(wbcCells * Math.min(0.38, Math.max(0.22, 0.30 + 0.04 * rnd.nextGaussian())));
            int mono = (int) Math.round(wbcCells * (0.04 + 0.05 * rnd.nextDouble()));
            int eo = Math.max(1, (int) Math.round(wbcCells * (0.01 + 0.04 * rnd.nextDouble())));
            int baso = rnd.nextInt(2);
            int segmented = wbcCells - band - lymph - mono - eo - baso;
            int platelets = 1 + rnd.nextInt(3);

            Map<String, Integer> composition = new LinkedHashMap<>();
            composition.put("segmented_neutrophil", segmented);
            composition.put("band_neutrophil", band);
            composition.put("lymphocyte", lymph);
            composition.put("monocyte", mono);
            composition.put("eosinophil", eo);
            composition.put("basophil", baso);
            composition.put("platelet", platelets);
            List<SpecimenCell> cells = new ArrayList<>();
            composition.forEach((label, n) -> {
                for (int k = 0; k < n; k++) {
                    cells.add(decks.get(label).deal());
                }
            });
            // A scanner meets cells in the order they lie on the smear, not grouped by type.
            Collections.shuffle(cells, rnd);
            String specimenId = String.format(Locale.ROOT, "DEMO-NORMAL-%02d", i);
            SyntheticCbc cbc = cbcs.synthesize(Diagnosis.NORMAL, cells, CbcSynthesizer.randomFor(seed, specimenId));
            out.add(new Specimen(specimenId, Diagnosis.NORMAL, PBC,
                    String.format(Locale.ROOT, "healthy-smear-%02d-seed-%d", i, seed), cbc, cells));
        }
        return out;
    }

    private List<Specimen> specimens(Map<String, List<Map<String, String>>> byPatient, List<String> patientIds) {
        List<Specimen> out = new ArrayList<>();
        for (String patientId : patientIds) {
            List<Map<String, String>> rows = new ArrayList<>(byPatient.get(patientId));
            // The data set keeps no capture time. CellaVision numbers its cell files as it saves
            // them (BL_17400033, LY_17400038, …, one counter across classes), so the numeric part is
            // the best available proxy for capture order; ties (none in the test split) by path.
            rows.sort(Comparator.comparingLong((Map<String, String> r) -> captureNumber(r.get("file")))
                    .thenComparing(r -> r.get("file")));
            Diagnosis diagnosis = Diagnosis.parse(rows.get(0).get("diagnosis"));
            List<SpecimenCell> cells = new ArrayList<>(rows.size());
            for (Map<String, String> r : rows) {
                cells.add(new SpecimenCell(DEEPAPL, r.get("file"), r.get("label"), "1".equals(r.get("blast")),
                        "1".equals(r.get("blast_equivalent")), readImage(DEEPAPL, r.get("file"))));
            }
            String specimenId = specimenIdFor(patientId, diagnosis);
            SyntheticCbc cbc = cbcs.synthesize(diagnosis, cells, CbcSynthesizer.randomFor(seed, specimenId));
            out.add(new Specimen(specimenId, diagnosis, DEEPAPL, patientId, cbc, cells));
            log.debug("built {} from DeepAPL {} ({} cells)", specimenId, patientId, cells.size());
        }
        return out;
    }

    /** DeepAPL test rows by patient; {@code split=excluded} rows (conflicting labels, truncated files) are left out. */
    private Map<String, List<Map<String, String>>> deepAplTestRows() {
        ManifestCsv manifest = ManifestCsv.read(datasetsDir.resolve(DEEPAPL).resolve("manifest.csv"))
                .requireColumns("file", "label", "split", "blast", "blast_equivalent", "patient_id", "diagnosis");
        Map<String, List<Map<String, String>>> byPatient = new TreeMap<>();
        for (Map<String, String> r : manifest.rows()) {
            if ("test".equals(r.get("split"))) {
                byPatient.computeIfAbsent(r.get("patient_id"), k -> new ArrayList<>()).add(r);
            }
        }
        if (byPatient.isEmpty()) {
            throw new IllegalArgumentException("no split=test rows in " + datasetsDir.resolve(DEEPAPL).resolve("manifest.csv"));
        }
        return byPatient;
    }

    private Map<String, Deck> pbcTestDecks() {
        ManifestCsv manifest = ManifestCsv.read(datasetsDir.resolve(PBC).resolve("manifest.csv"))
                .requireColumns("file", "split", "fine_label");
        Map<String, List<String>> files = new TreeMap<>();
        for (Map<String, String> r : manifest.rows()) {
            if ("test".equals(r.get("split"))) {
                files.computeIfAbsent(r.get("fine_label"), k -> new ArrayList<>()).add(r.get("file"));
            }
        }
        Map<String, Deck> decks = new HashMap<>();
        for (String label : List.of("segmented_neutrophil", "band_neutrophil", "lymphocyte", "monocyte",
                "eosinophil", "basophil", "platelet")) {
            List<String> pool = files.get(label);
            if (pool == null || pool.isEmpty()) {
                throw new IllegalArgumentException("PBC manifest has no test cells labelled " + label);
            }
            Collections.sort(pool);
            decks.put(label, new Deck(label, pool, CbcSynthesizer.randomFor(seed, "pbc-deck-" + label)));
        }
        return decks;
    }

    /** A shuffled deck of one class's test files, reshuffled when dealt out. Images are read when dealt. */
    private final class Deck {
        private final String label;
        private final List<String> files;
        private final Random rnd;
        private int next;

        Deck(String label, List<String> files, Random rnd) {
            this.label = label;
            this.files = new ArrayList<>(files);
            this.rnd = rnd;
            Collections.shuffle(this.files, rnd);
        }

        SpecimenCell deal() {
            if (next == files.size()) {
                log.debug("PBC test {} cells dealt out; reshuffling, later healthy smears reuse them", label);
                Collections.shuffle(files, rnd);
                next = 0;
            }
            String file = files.get(next++);
            return new SpecimenCell(PBC, file, label, false, false, readImage(PBC, file));
        }
    }

    private byte[] readImage(String dataset, String file) {
        Path path = datasetsDir.resolve(dataset).resolve(file);
        try {
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read cell image " + path, e);
        }
    }

    static long captureNumber(String file) {
        Matcher m = CAPTURE_NUMBER.matcher(file);
        if (!m.find()) {
            throw new IllegalArgumentException("no CellaVision capture number in file name " + file);
        }
        return Long.parseLong(m.group(1));
    }

    private static int patientNumber(String patientId) {
        Matcher m = PATIENT_NUMBER.matcher(patientId);
        return m.matches() ? Integer.parseInt(m.group(1)) : Integer.MAX_VALUE;
    }
}
