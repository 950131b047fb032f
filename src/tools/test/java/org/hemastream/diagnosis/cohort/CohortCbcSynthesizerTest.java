package org.hemastream.diagnosis.cohort;

import org.hemastream.events.CbcResult;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class CohortCbcSynthesizerTest {

    private final CohortCbcSynthesizer synthesizer = new CohortCbcSynthesizer();

    private CbcResult draw(CohortProfile profile, long seed) {
        Random r = new Random(seed);
        Map<String, Double> diff = profile.differential(r);
        return synthesizer.synthesize("S" + seed, profile, diff, profile.nrbcPer100Wbc(r), r, Instant.EPOCH);
    }

    private static double v(CbcResult c, String code) {
        return c.parameters().get(code).value();
    }

    @Test
    void everyCbcIsInternallyConsistentAsTheXnComputesIt() {
        for (CohortProfile profile : CohortProfile.values()) {
            for (long seed = 0; seed < 200; seed++) {
                CbcResult c = draw(profile, seed);
                String where = profile + " seed " + seed;
                assertThat(CohortCbcSynthesizer.CODES).as(where).containsAll(c.parameters().keySet());
                assertThat(c.parameters()).as(where).containsKeys("WBC", "RBC", "HGB", "HCT", "MCV", "MCH", "MCHC", "PLT",
                        "RDW-SD", "RDW-CV", "NEUT#", "NEUT%", "LYMPH#", "LYMPH%", "MONO#", "MONO%", "EO#", "EO%", "BASO#", "BASO%");
                assertThat(v(c, "HCT")).as(where).isCloseTo(v(c, "RBC") * v(c, "MCV") / 10, within(0.06));
                assertThat(v(c, "MCH")).as(where).isCloseTo(v(c, "HGB") / v(c, "RBC") * 10, within(0.06));
                assertThat(v(c, "MCHC")).as(where).isCloseTo(v(c, "HGB") / v(c, "HCT") * 100, within(0.06));
                if (c.parameters().containsKey("PCT")) {
                    assertThat(v(c, "PCT")).as(where).isCloseTo(v(c, "PLT") * v(c, "MPV") / 10_000, within(0.006));
                } else {
                    assertThat(c.parameters()).as(where + ": platelet indices come together").doesNotContainKeys("PDW", "MPV", "P-LCR");
                }
                double sum = 0;
                for (String p : new String[]{"NEUT", "LYMPH", "MONO", "EO", "BASO"}) {
                    sum += v(c, p + "%");
                    assertThat(v(c, p + "#")).as(where + " " + p).isCloseTo(v(c, p + "%") * v(c, "WBC") / 100, within(0.006));
                }
                assertThat(sum).as(where + ": the five-part differential").isCloseTo(100.0, within(1e-9));
                if (c.parameters().containsKey("IG%")) {
                    assertThat(v(c, "IG%")).as(where + ": NEUT includes IG").isLessThanOrEqualTo(v(c, "NEUT%"));
                }
                if (c.parameters().containsKey("NRBC%")) {
                    assertThat(v(c, "NRBC#")).as(where).isCloseTo(v(c, "NRBC%") * v(c, "WBC") / 100, within(0.006));
                }
                assertThat(CohortCbcSynthesizer.FLAGS).as(where).containsAll(c.flags());
            }
        }
    }

    @Test
    void theProfilesShowTheirHallmarks() {
        double[] sums = new double[6];
        int n = 400;
        for (long seed = 0; seed < n; seed++) {
            sums[0] += v(draw(CohortProfile.ET, seed), "PLT") / n;
            sums[1] += v(draw(CohortProfile.PV, seed), "HGB") / n;
            sums[2] += v(draw(CohortProfile.CML, seed), "WBC") / n;
            sums[3] += v(draw(CohortProfile.CML, seed), "BASO%") / n;
            sums[4] += v(draw(CohortProfile.MDS, seed), "MCV") / n;
            sums[5] += draw(CohortProfile.AML, seed).blastFlags().isEmpty() ? 0 : 1.0 / n;
        }
        assertThat(sums[0]).as("ET platelets").isBetween(650.0, 950.0);
        assertThat(sums[1]).as("PV haemoglobin").isGreaterThan(16.5);
        assertThat(sums[2]).as("CML white cells").isGreaterThan(60.0);
        assertThat(sums[3]).as("CML basophils %").isGreaterThan(2.0);
        assertThat(sums[4]).as("MDS MCV").isGreaterThan(95.0);
        assertThat(sums[5]).as("AML blast-flag sensitivity: high, not perfect").isBetween(0.6, 0.97);
    }

    @Test
    void theSameSeedGivesTheSameCbc() {
        assertThat(draw(CohortProfile.MDS, 42)).isEqualTo(draw(CohortProfile.MDS, 42));
    }
}
