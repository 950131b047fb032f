package org.hemastream.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

class CellModelMetadataTest {

    static final java.util.List<String> REQUIRED_KEYS = CellModelMetadata.REQUIRED_KEYS;

    @Test
    void readsEverythingFromTheMetadata() {
        CellModelMetadata md = CellModelMetadata.fromCustomMetadata(FixtureModel.metadata());

        assertThat(md.cellTypes()).containsExactly("alpha", "beta", "gamma");
        assertThat(md.cellTypeOutput()).isEqualTo("kind");
        assertThat(md.input().name()).isEqualTo("pixels");
        assertThat(md.input().width()).isEqualTo(32);
        assertThat(md.normalization().mean()).containsExactly(0.1, 0.2, 0.3);
        assertThat(md.attributes()).singleElement().satisfies(a -> {
            assertThat(a.name()).isEqualTo("shade");
            assertThat(a.output()).isEqualTo("attr_shade");
            assertThat(a.values()).containsExactly("light", "dark");
        });
        assertThat(md.blastThreshold()).isEmpty();
    }

    @Test
    void blastThresholdIsReadWhenTheModelHasABlastClass() {
        Map<String, String> m = FixtureModel.metadata();
        m.put("hemastream.cell_types", "{\"output\": \"kind\", \"classes\": [\"alpha\", \"blast\"]}");
        m.put("hemastream.thresholds", "{\"blast\": 0.35}");

        assertThat(CellModelMetadata.fromCustomMetadata(m).blastThreshold()).hasValue(0.35);
    }

    @ParameterizedTest
    @FieldSource("REQUIRED_KEYS")
    void missingKeyIsATypedErrorNamingTheKey(String key) {
        Map<String, String> m = FixtureModel.metadata();
        m.remove(key);

        assertThatThrownBy(() -> CellModelMetadata.fromCustomMetadata(m))
                .isInstanceOf(InvalidModelMetadataException.class)
                .hasMessageContaining(key)
                .satisfies(e -> assertThat(((InvalidModelMetadataException) e).key()).isEqualTo(key));
    }

    @ParameterizedTest
    @FieldSource("REQUIRED_KEYS")
    void invalidJsonIsATypedErrorNamingTheKey(String key) {
        Map<String, String> m = FixtureModel.metadata();
        m.put(key, "{not json");
        if (key.equals(CellModelMetadata.KEY_MODEL_VERSION)) {
            m.put(key, " ");
        }

        assertThatThrownBy(() -> CellModelMetadata.fromCustomMetadata(m))
                .isInstanceOfSatisfying(InvalidModelMetadataException.class, e -> assertThat(e.key()).isEqualTo(key));
    }

    @Test
    void inconsistentValuesNameTheirKey() {
        assertInvalid("hemastream.contract", "cell-classifier/2");
        assertInvalid("hemastream.input", "{\"name\": \"pixels\", \"layout\": \"NHWC\", \"channels\": \"RGB\", \"width\": 32, \"height\": 32}");
        assertInvalid("hemastream.input", "{\"name\": \"pixels\", \"layout\": \"NCHW\", \"channels\": \"RGB\", \"width\": 0, \"height\": 32}");
        assertInvalid("hemastream.normalization", "{\"scale\": 0.0039, \"mean\": [0.1, 0.2], \"std\": [0.5, 0.6, 0.7]}");
        assertInvalid("hemastream.normalization", "{\"scale\": 0.0039, \"mean\": [0.1, 0.2, 0.3], \"std\": [0.5, 0, 0.7]}");
        assertInvalid("hemastream.cell_types", "{\"output\": \"kind\", \"classes\": [\"alpha\", \"alpha\"]}");
        assertInvalid("hemastream.attributes", "[{\"name\": \"shade\", \"output\": \"kind\", \"values\": [\"a\"]}]");
        assertInvalid("hemastream.thresholds", "{\"blast\": 0.5}");
        assertInvalid("hemastream.thresholds", "{\"alpha\": 1.5}");
    }

    private static void assertInvalid(String key, String value) {
        Map<String, String> m = FixtureModel.metadata();
        m.put(key, value);
        assertThatThrownBy(() -> CellModelMetadata.fromCustomMetadata(m))
                .as("%s = %s", key, value)
                .isInstanceOfSatisfying(InvalidModelMetadataException.class, e -> assertThat(e.key()).isEqualTo(key));
    }
    @Test
    void aModelWithoutASlideAlertRuleGetsTheOneCellDefault() {
        CellModelMetadata md = CellModelMetadata.fromCustomMetadata(FixtureModel.metadata());

        assertThat(md.slideAlertRule()).isEqualTo(CellModelMetadata.SlideAlertRule.DEFAULT);
        assertThat(md.slideAlertRule().minBlastCells()).isEqualTo(1);
        assertThat(md.slideAlertRule().minBlastFraction()).isZero();
        assertThat(md.slideAlertRule().origin()).contains("default");
    }

    @Test
    void theSlideAlertRuleIsReadWithItsEvidence() {
        Map<String, String> m = FixtureModel.metadata();
        m.put(CellModelMetadata.KEY_SLIDE_ALERT_RULE, "{\"minBlastCells\": 3, \"minBlastFraction\": 0.01, "
                + "\"slideSensitivity\": 1.0, \"falseAlertRate\": 0.2, \"chosenOn\": \"DeepAPL val patients\"}");

        CellModelMetadata.SlideAlertRule rule = CellModelMetadata.fromCustomMetadata(m).slideAlertRule();

        assertThat(rule.minBlastCells()).isEqualTo(3);
        assertThat(rule.minBlastFraction()).isEqualTo(0.01);
        assertThat(rule.origin()).contains("fixture-tiny-1");
        assertThat(rule.evidence()).contains("DeepAPL val patients").doesNotContain("minBlastCells");
        assertThat(rule.met(3, 300)).isTrue();
        assertThat(rule.met(3, 301)).isFalse();
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"{\"minBlastCells\": 0}", "{\"minBlastCells\": 2.5}",
            "{\"minBlastFraction\": 0.1}", "{\"minBlastCells\": 2, \"minBlastFraction\": 1.5}",
            "{\"minBlastCells\": 2, \"minBlastFraction\": \"1%\"}", "[3]", "not json"})
    void anInvalidSlideAlertRuleIsRefusedNamingTheKey(String value) {
        Map<String, String> m = FixtureModel.metadata();
        m.put(CellModelMetadata.KEY_SLIDE_ALERT_RULE, value);

        assertThatThrownBy(() -> CellModelMetadata.fromCustomMetadata(m))
                .isInstanceOf(InvalidModelMetadataException.class)
                .hasMessageContaining(CellModelMetadata.KEY_SLIDE_ALERT_RULE);
    }

    @Test
    void aCalibrationReplacesTheBlastThresholdAndTheSlideRuleOnly() {
        Map<String, String> m = FixtureModel.metadata();
        m.put("hemastream.cell_types", "{\"output\": \"kind\", \"classes\": [\"alpha\", \"blast\"]}");
        m.put("hemastream.thresholds", "{\"blast\": 0.35}");
        CellModelMetadata md = CellModelMetadata.fromCustomMetadata(m);
        CellModelMetadata.SlideAlertRule site = new CellModelMetadata.SlideAlertRule(2, 0.02, "site profile", "{}");

        CellModelMetadata calibrated = md.withBlastCalibration(0.6, site);

        assertThat(calibrated.blastThreshold()).hasValue(0.6);
        assertThat(calibrated.slideAlertRule()).isEqualTo(site);
        assertThat(calibrated.cellTypes()).isEqualTo(md.cellTypes());
        assertThatThrownBy(() -> CellModelMetadata.fromCustomMetadata(FixtureModel.metadata())
                .withBlastCalibration(0.6, site)).hasMessageContaining("no 'blast' class");
    }
}
