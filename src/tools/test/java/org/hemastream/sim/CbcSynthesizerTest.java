package org.hemastream.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class CbcSynthesizerTest {

    private final CbcSynthesizer synthesizer = new CbcSynthesizer();

    /** A slide with these labels and counts; the image bytes do not matter to the CBC. */
    private static List<SpecimenCell> slide(Object... labelsAndCounts) {
        List<SpecimenCell> cells = new ArrayList<>();
        for (int i = 0; i < labelsAndCounts.length; i += 2) {
            String label = (String) labelsAndCounts[i];
            int n = (Integer) labelsAndCounts[i + 1];
            for (int k = 0; k < n; k++) {
                cells.add(new SpecimenCell("test", "images/" + label + "/X_" + k + ".jpg", label, label.equals("blast"),
                        label.equals("blast"), new byte[] {1}));
            }
        }
        return cells;
    }

    private static final List<SpecimenCell> HEALTHY = slide("segmented_neutrophil", 60, "band_neutrophil", 3,
            "lymphocyte", 30, "monocyte", 6, "eosinophil", 3, "basophil", 1, "platelet", 2);
    private static final List<SpecimenCell> BLASTIC = slide("blast", 70, "lymphocyte", 20, "neutrophil_segmented", 5,
            "monocyte", 5, "smudge_cell", 15, "erythroblast", 4);
    private static final List<SpecimenCell> APL = slide("promyelocyte", 80, "lymphocyte", 10, "neutrophil_segmented", 4,
            "blast", 2);

    @Test
    void cbcsAreInternallyConsistentWithinRounding() {
        for (Diagnosis d : Diagnosis.values()) {
            for (int seed = 0; seed < 300; seed++) {
                SyntheticCbc cbc = synthesizer.synthesize(d, d == Diagnosis.NORMAL ? HEALTHY : d == Diagnosis.APL ? APL : BLASTIC,
                        CbcSynthesizer.randomFor(seed, "S-" + d));
                assertConsistent(cbc);
            }
        }
    }

    @Test
    void committedPackCbcsAreInternallyConsistent() {
        DemoPack.load().specimens().forEach(s -> assertConsistent(s.cbc()));
    }

    static void assertConsistent(SyntheticCbc cbc) {
        double rbc = cbc.value("RBC");
        double hgb = cbc.value("HGB");
        double hct = cbc.value("HCT");
        double wbc = cbc.value("WBC");
        assertThat(hct).as("HCT = RBC x MCV / 10").isCloseTo(rbc * cbc.value("MCV") / 10, within(0.051));
        assertThat(cbc.value("MCH")).as("MCH = HGB / RBC x 10").isCloseTo(hgb / rbc * 10, within(0.051));
        assertThat(cbc.value("MCHC")).as("MCHC = HGB / HCT x 100").isCloseTo(hgb / hct * 100, within(0.051));
        double sum = 0;
        for (String cell : List.of("NEUT", "LYMPH", "MONO", "EO", "BASO", "IG")) {
            double pct = cbc.value(cell + "%");
            assertThat(pct).isBetween(0.0, 100.0);
            assertThat(cbc.value(cell + "#")).as(cell + "# = % x WBC / 100").isCloseTo(pct * wbc / 100, within(0.0051));
            sum += cell.equals("IG") ? 0 : pct;
        }
        assertThat(sum).as("five-part differential").isCloseTo(100.0, within(1e-9));
        assertThat(cbc.value("IG%")).as("NEUT includes IG").isLessThanOrEqualTo(cbc.value("NEUT%"));
        assertThat(cbc.value("NRBC#")).isCloseTo(cbc.value("NRBC%") * wbc / 100, within(0.0051));
        assertThat(cbc.parameters().keySet()).containsExactlyElementsOf(SyntheticCbc.CODES);
    }

    @Test
    void healthyCbcsStayInAdultReferenceIntervals() {
        for (int seed = 0; seed < 300; seed++) {
            SyntheticCbc cbc = synthesizer.synthesize(Diagnosis.NORMAL, HEALTHY, CbcSynthesizer.randomFor(seed, "N"));
            assertThat(cbc.value("WBC")).isBetween(4.0, 10.0);
            assertThat(cbc.value("HGB")).isBetween(12.0, 17.5);
            assertThat(cbc.value("PLT")).isBetween(150.0, 400.0);
            assertThat(cbc.value("MCV")).isBetween(80.0, 100.0);
            assertThat(cbc.value("NEUT%")).isBetween(40.0, 80.0);
            assertThat(cbc.value("NRBC#")).isZero();
            assertThat(cbc.flags()).doesNotContain("Anemia", "Thrombocytopenia", "Leukocytosis", "Leukocytopenia");
        }
    }

    @Test
    void leukaemicCbcsShowAnaemiaThrombocytopeniaAndMostlyABlastFlag() {
        int flagged = 0;
        int runs = 400;
        for (int seed = 0; seed < runs; seed++) {
            SyntheticCbc cbc = synthesizer.synthesize(Diagnosis.AML, BLASTIC, CbcSynthesizer.randomFor(seed, "A"));
            assertThat(cbc.value("HGB")).isLessThan(12.6);
            assertThat(cbc.value("PLT")).isLessThanOrEqualTo(220.0);
            // 70 % blasts on the slide: the blasts land in LYMPH/MONO, not NEUT.
            assertThat(cbc.value("NEUT%")).isLessThan(20.0);
            flagged += cbc.blastFlagged() ? 1 : 0;
        }
        assertThat(flagged).as("blast flag: sensitive but not perfect").isBetween(runs * 70 / 100, runs * 97 / 100);

        int healthyFlagged = 0;
        for (int seed = 0; seed < runs; seed++) {
            healthyFlagged += synthesizer.synthesize(Diagnosis.NORMAL, HEALTHY, CbcSynthesizer.randomFor(seed, "N"))
                    .blastFlagged() ? 1 : 0;
        }
        assertThat(healthyFlagged).isLessThan(runs / 10);
    }

    @Test
    void aplCbcsAreMostlyLeukopenicAndThrombocytopenic() {
        int leukopenic = 0;
        for (int seed = 0; seed < 400; seed++) {
            SyntheticCbc cbc = synthesizer.synthesize(Diagnosis.APL, APL, CbcSynthesizer.randomFor(seed, "P"));
            leukopenic += cbc.value("WBC") < 4.0 ? 1 : 0;
            assertThat(cbc.value("PLT")).isLessThan(71.0);
            assertThat(cbc.flags()).contains("IG_Present");
        }
        assertThat(leukopenic).isBetween(180, 320);
    }

    @Test
    void sameSeedGivesTheSameCbc() {
        SyntheticCbc a = synthesizer.synthesize(Diagnosis.AML, BLASTIC, CbcSynthesizer.randomFor(42, "DEMO-AML-01"));
        SyntheticCbc b = synthesizer.synthesize(Diagnosis.AML, BLASTIC, CbcSynthesizer.randomFor(42, "DEMO-AML-01"));
        SyntheticCbc c = synthesizer.synthesize(Diagnosis.AML, BLASTIC, CbcSynthesizer.randomFor(43, "DEMO-AML-01"));
        assertThat(a).isEqualTo(b);
        assertThat(a).isNotEqualTo(c);
    }
}
