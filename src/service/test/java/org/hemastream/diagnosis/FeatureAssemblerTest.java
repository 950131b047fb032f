package org.hemastream.diagnosis;

import org.hemastream.events.CbcResult;
import org.hemastream.events.CellResult;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class FeatureAssemblerTest {

    private final CellVocabulary vocabulary = new CellVocabulary(
            List.of("segmented_neutrophil", "lymphocyte", "blast", "platelet"),
            Map.of("granularity", List.of("yes", "no"), "nucleus_shape", List.of("segmented-bilobed", "unsegmented-band")));
    private final FeatureAssembler assembler = new FeatureAssembler(vocabulary);

    private static CbcResult cbc(String... flags) {
        return new CbcResult("S1", Instant.EPOCH, "XN-9000", "1", Map.of(
                "WBC", new CbcResult.Measurement(3.2, "10^3/uL"), "NEUT#", new CbcResult.Measurement(1.1, "10^3/uL"),
                "RDW-SD", new CbcResult.Measurement(51.3, "fL")), List.of(flags));
    }

    private static CellResult cell(String type, String granularity) {
        return new CellResult("S1", "S1-1", type + Math.random(), Instant.EPOCH, "m", type, 0.9, Map.of(type, 0.9),
                granularity == null ? Map.of() : Map.of("granularity", new CellResult.AttributeCall(granularity, 0.8)),
                false);
    }

    @Test
    void cbcCodesAndFlagsAreTakenAsTheAnalyzerReportsThem() {
        double[] x = assembler.vector(List.of("WBC", "NEUT#", "RDW-SD", "HGB", "flag_Blasts?", "flag_Anemia"),
                cbc("Blasts?"), null);
        assertThat(x[0]).isEqualTo(3.2);
        assertThat(x[1]).isEqualTo(1.1);
        assertThat(x[2]).isEqualTo(51.3);
        assertThat(x[3]).as("a code the CBC lacks is missing").isNaN();
        assertThat(x[4]).isEqualTo(1.0);
        assertThat(x[5]).isEqualTo(0.0);
    }

    @Test
    void percentagesAreOverAllClassifiedCellsAndRatesOverTheWhiteCellsOfTheAnnotatedTypes() {
        List<CellResult> cells = new ArrayList<>();
        cells.add(cell("segmented_neutrophil", "no"));
        cells.add(cell("segmented_neutrophil", "yes"));
        cells.add(cell("lymphocyte", "no"));
        cells.add(cell("lymphocyte", "no"));
        cells.add(cell("blast", "no"));      // not a WBCAtt type: counts in pct_, not in rate_
        cells.add(cell("platelet", null));
        Map<String, Double> f = assembler.named(List.of("pct_segmented_neutrophil", "pct_blast", "pct_platelet",
                "pct_lymphocyte", "rate_granularity=no", "rate_granularity=yes", "rate_nucleus_shape=unsegmented-band"),
                cbc(), cells);
        assertThat(f.get("pct_segmented_neutrophil")).isCloseTo(100.0 * 2 / 6, within(1e-12));
        assertThat(f.get("pct_blast")).isCloseTo(100.0 / 6, within(1e-12));
        assertThat(f.get("pct_platelet")).isCloseTo(100.0 / 6, within(1e-12));
        assertThat(f.get("rate_granularity=no")).isCloseTo(3.0 / 4, within(1e-12));
        assertThat(f.get("rate_granularity=yes")).isCloseTo(1.0 / 4, within(1e-12));
        assertThat(f.get("rate_nucleus_shape=unsegmented-band")).isZero();
    }

    @Test
    void withoutCellsEveryMorphologyFeatureIsMissingSoTheModelScoresTheCbcAlone() {
        List<String> features = new ArrayList<>(List.of("WBC"));
        features.addAll(assembler.morphologyFeatures());
        double[] x = assembler.vector(features, cbc(), List.of());
        assertThat(x[0]).isEqualTo(3.2);
        for (int i = 1; i < x.length; i++) {
            assertThat(x[i]).as(features.get(i)).isNaN();
        }
        assertThat(assembler.vector(List.of("WBC", "flag_Blasts?"), null, List.of()))
                .as("no CBC: CBC features missing too").containsExactly(Double.NaN, Double.NaN);
    }

    @Test
    void theFeaturesACellModelCannotSupplyAreNamed() {
        assertThat(assembler.unsupplied(List.of("WBC", "flag_Blasts?", "pct_blast", "pct_hairy_cell",
                "rate_granularity=no", "rate_granularity=maybe", "rate_vacuoles=yes", "rate_nonsense")))
                .containsExactly("pct_hairy_cell", "rate_granularity=maybe", "rate_vacuoles=yes", "rate_nonsense");
        assertThat(assembler.morphologyFeatures()).contains("pct_blast", "rate_granularity=no",
                "rate_nucleus_shape=unsegmented-band");
        assertThat(assembler.unsupplied(assembler.morphologyFeatures())).isEmpty();
    }
}
