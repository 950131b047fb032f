package org.hemastream.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Builds specimens from the real data sets. Skipped (with the reason) where the data sets are not
 * checked out beside the repository: set {@code -Dhemastream.datasets=DIR} to point at them.
 */
class DatasetSpecimensTest {

    private static Path datasets;

    @BeforeAll
    static void findDatasets() {
        String property = System.getProperty("hemastream.datasets");
        Path candidate = Path.of(property == null ? "../shared/datasets" : property);
        if (Files.isRegularFile(candidate.resolve(DatasetSpecimens.DEEPAPL).resolve("manifest.csv"))
                && Files.isRegularFile(candidate.resolve(DatasetSpecimens.PBC).resolve("manifest.csv"))) {
            datasets = candidate;
        }
    }

    private static void requireDatasets() {
        assumeTrue(datasets != null, "data sets not found at ../shared/datasets (set -Dhemastream.datasets=DIR)");
    }

    @Test
    void everyDeepAplTestPatientIsReplayedWithAllItsNonExcludedCells() {
        requireDatasets();
        List<Specimen> patients = new DatasetSpecimens(datasets, 42).deepAplTestPatients();
        // The data set's README: 19 test patients (10 AML, 8 APL, 1 unknown), 2,432 test cells, 483 blasts.
        assertThat(patients).hasSize(19);
        assertThat(patients.stream().collect(Collectors.groupingBy(Specimen::diagnosis, Collectors.counting())))
                .containsEntry(Diagnosis.AML, 10L).containsEntry(Diagnosis.APL, 8L).containsEntry(Diagnosis.UNKNOWN, 1L);
        assertThat(patients.stream().mapToInt(s -> s.cells().size()).sum()).isEqualTo(2432);
        assertThat(patients.stream().mapToLong(Specimen::blastCount).sum()).isEqualTo(483);
        assertThat(patients).extracting(Specimen::specimenId).contains("DEMO-AML-02", "DEMO-APL-100", "DEMO-UNKNOWN-CC");
        for (Specimen s : patients) {
            assertThat(s.cells().stream().map(c -> DatasetSpecimens.captureNumber(c.originalFile())).toList())
                    .as(s.specimenId()).isSorted();
            CbcSynthesizerTest.assertConsistent(s.cbc());
        }
    }

    @Test
    void healthySmearsHaveANormalDifferentialAndNoImmatureCells() {
        requireDatasets();
        List<Specimen> healthy = new DatasetSpecimens(datasets, 42).healthy(6);
        assertThat(healthy).extracting(Specimen::specimenId).startsWith("DEMO-NORMAL-01").endsWith("DEMO-NORMAL-06");
        for (Specimen s : healthy) {
            assertThat(s.cells().size()).as(s.specimenId()).isBetween(100, 150);
            Map<String, Long> counts = s.cells().stream().collect(Collectors.groupingBy(SpecimenCell::label, Collectors.counting()));
            assertThat(counts.keySet()).isSubsetOf("segmented_neutrophil", "band_neutrophil", "lymphocyte", "monocyte",
                    "eosinophil", "basophil", "platelet");
            long wbc = s.cells().size() - counts.getOrDefault("platelet", 0L);
            double seg = counts.get("segmented_neutrophil") / (double) wbc;
            double lymph = counts.get("lymphocyte") / (double) wbc;
            assertThat(seg).isBetween(0.45, 0.68);
            assertThat(lymph).isBetween(0.20, 0.40);
            assertThat(counts.getOrDefault("basophil", 0L)).isLessThanOrEqualTo(1L);
            assertThat(counts.get("platelet")).isBetween(1L, 3L);
            assertThat(s.blastCount()).isZero();
            assertThat(s.cells()).allMatch(c -> c.dataset().equals(DatasetSpecimens.PBC));
        }
        // The first three smears draw disjoint cells.
        assertThat(healthy.subList(0, 3).stream().flatMap(s -> s.cells().stream()).map(SpecimenCell::originalFile))
                .doesNotHaveDuplicates();
    }

    @Test
    void sameSeedBuildsTheSameSpecimens() {
        requireDatasets();
        List<Specimen> a = new DatasetSpecimens(datasets, 42).healthy(2);
        List<Specimen> b = new DatasetSpecimens(datasets, 42).healthy(4);
        for (int i = 0; i < 2; i++) {
            assertThat(b.get(i).cbc()).isEqualTo(a.get(i).cbc());
            assertThat(b.get(i).cells()).extracting(SpecimenCell::originalFile)
                    .containsExactlyElementsOf(a.get(i).cells().stream().map(SpecimenCell::originalFile).toList());
        }
        assertThat(new DatasetSpecimens(datasets, 7).healthy(1).get(0).cells()).extracting(SpecimenCell::originalFile)
                .isNotEqualTo(a.get(0).cells().stream().map(SpecimenCell::originalFile).toList());
    }

    @Test
    void regeneratingThePackFromTheDatasetsReproducesTheCommittedOne(@TempDir Path out) throws IOException {
        requireDatasets();
        DemoPack.compactFromDatasets(datasets, DemoPack.DEFAULT_SEED).writeTo(out);
        for (String file : List.of("manifest.json", "README.md")) {
            byte[] committed;
            try (var in = DemoPack.class.getClassLoader().getResourceAsStream("demo-pack/" + file)) {
                committed = in.readAllBytes();
            }
            assertThat(Files.readAllBytes(out.resolve(file))).as(file).isEqualTo(committed);
        }
        DemoPack committed = DemoPack.load();
        DemoPack rebuilt = DemoPack.read(out);
        for (int i = 0; i < committed.specimens().size(); i++) {
            List<SpecimenCell> a = committed.specimens().get(i).cells();
            List<SpecimenCell> b = rebuilt.specimens().get(i).cells();
            for (int k = 0; k < a.size(); k++) {
                assertThat(b.get(k).jpeg()).isEqualTo(a.get(k).jpeg());
            }
        }
    }

    @Test
    void manifestReaderHandlesQuotedCommas(@TempDir Path dir) throws IOException {
        Path csv = dir.resolve("m.csv");
        Files.writeString(csv, "file,cellavision_class,split\r\na.jpg,\"Blast, no lineage spec\",test\nb.jpg,\"say \"\"hi\"\"\",train\n");
        List<Map<String, String>> rows = ManifestCsv.read(csv).requireColumns("file", "split").rows();
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0)).containsEntry("cellavision_class", "Blast, no lineage spec").containsEntry("split", "test");
        assertThat(rows.get(1)).containsEntry("cellavision_class", "say \"hi\"");
    }
}
