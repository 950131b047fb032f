package org.hemastream.diagnosis.cohort;

import org.hemastream.diagnosis.DiagnosisClass;
import org.hemastream.inference.evaluation.CellManifest.ManifestCell;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Builds cohorts from the real data sets. Skipped (with the reason) where the data sets are not checked
 * out beside the repository: set {@code -Dhemastream.datasets=DIR} to point at them.
 */
class CohortGeneratorTest {

    private static Path datasets;

    @BeforeAll
    static void findDatasets() {
        String property = System.getProperty("hemastream.datasets");
        Path candidate = Path.of(property == null ? "../shared/datasets" : property);
        if (Files.isRegularFile(candidate.resolve("pbc_wbcatt/manifest.csv"))
                && Files.isRegularFile(candidate.resolve("deepapl_cellavision/manifest.csv"))) {
            datasets = candidate;
        }
    }

    private static CellPool pool(String split) throws Exception {
        assumeTrue(datasets != null, "data sets not found at ../shared/datasets (set -Dhemastream.datasets=DIR)");
        return CellPool.read(datasets, split, 0, 1);
    }

    @Test
    void aCohortIsBalancedDeterministicAndSomeSpecimensHaveNoSmear() throws Exception {
        CellPool pool = pool("train");
        List<CohortSpecimen> a = new CohortGenerator(pool, 9).generate(240);
        List<CohortSpecimen> b = new CohortGenerator(pool, 9).generate(240);
        assertThat(a).isEqualTo(b);
        Map<DiagnosisClass, Long> perClass = a.stream().collect(Collectors.groupingBy(CohortSpecimen::diagnosis, Collectors.counting()));
        assertThat(perClass).hasSize(6).allSatisfy((c, n) -> assertThat(n).isEqualTo(40L));
        assertThat(a.stream().filter(s -> s.diagnosis() == DiagnosisClass.MPN).map(CohortSpecimen::profile).distinct())
                .containsExactlyInAnyOrder(CohortProfile.CML, CohortProfile.PV, CohortProfile.ET, CohortProfile.PMF);
        long cbcOnly = a.stream().filter(s -> s.smear().isEmpty()).count();
        assertThat(cbcOnly).isBetween(15L, 60L);
        assertThat(a.stream().filter(s -> !s.smear().isEmpty()))
                .allSatisfy(s -> assertThat(s.smear().size()).isBetween(100, 260));
        assertThat(new CohortGenerator(pool, 10).generate(12)).isNotEqualTo(a.subList(0, 12));
    }

    @Test
    void smearsUseOnlyTheirSplitsImagesAndFitTheDiagnosis() throws Exception {
        CellPool pool = pool("test");
        List<CohortSpecimen> cohort = new CohortGenerator(pool, 3).generate(180);
        for (CohortSpecimen s : cohort) {
            for (ManifestCell c : s.smear()) {
                assertThat(c.columns().get("split")).isEqualTo("test");
            }
        }
        assertThat(share(cohort, DiagnosisClass.AML, "blast")).isGreaterThan(0.2);
        assertThat(share(cohort, DiagnosisClass.NORMAL, "blast")).isZero();
        assertThat(share(cohort, DiagnosisClass.LYMPHOMA, "lymphocyte_variant")).isGreaterThan(0.1);
        assertThat(dysplasticShare(cohort, DiagnosisClass.MDS))
                .as("MDS neutrophils drawn preferentially from WBCAtt hypolobated/agranular cells")
                .isGreaterThan(dysplasticShare(cohort, DiagnosisClass.NORMAL) + 0.25);
    }

    private static double share(List<CohortSpecimen> cohort, DiagnosisClass c, String type) {
        long all = cohort.stream().filter(s -> s.diagnosis() == c).mapToLong(s -> s.smear().size()).sum();
        long of = cohort.stream().filter(s -> s.diagnosis() == c).flatMap(s -> s.smear().stream())
                .filter(cell -> cell.cellType().equals(type)).count();
        return (double) of / all;
    }

    /** Among PBC neutrophils on this class's smears, the share WBCAtt annotates as dysplastic. */
    private static double dysplasticShare(List<CohortSpecimen> cohort, DiagnosisClass c) {
        List<ManifestCell> neutrophils = cohort.stream().filter(s -> s.diagnosis() == c).flatMap(s -> s.smear().stream())
                .filter(cell -> cell.source().equals(CellPool.PBC) && cell.cellType().endsWith("_neutrophil")).toList();
        return (double) neutrophils.stream().filter(CellPool::isDysplastic).count() / neutrophils.size();
    }
}
