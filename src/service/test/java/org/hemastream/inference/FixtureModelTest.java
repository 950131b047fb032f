package org.hemastream.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;

import org.junit.jupiter.api.Test;

/** A model with other class names, attributes, names and input size works without code changes. */
class FixtureModelTest {

    @Test
    void fixtureModelWithOtherClassesAttributesAndSizeMatchesPython() throws Exception {
        ParitySample sample = ParitySample.load(FixtureModel.TINY_PARITY);
        try (CellClassifier classifier = CellClassifier.open(
                ClassifierConfig.defaults().withModelPath(FixtureModel.path(FixtureModel.TINY)))) {
            List<CellPrediction> predictions = classifier.classify(sample.decodeAll());

            assertThat(classifier.metadata().cellTypes()).containsExactly("alpha", "beta", "gamma");
            for (int i = 0; i < predictions.size(); i++) {
                CellPrediction p = predictions.get(i);
                double[] kind = sample.cells().get(i).outputs().get("kind");
                double[] shade = sample.cells().get(i).outputs().get("attr_shade");
                assertThat(p.typeProbabilities().keySet()).containsExactly("alpha", "beta", "gamma");
                assertThat(p.probabilityOf("alpha")).isCloseTo(kind[0], within(1e-5));
                assertThat(p.probabilityOf("gamma")).isCloseTo(kind[2], within(1e-5));
                assertThat(p.attributes().get("shade").probabilities().get("dark")).isCloseTo(shade[1], within(1e-5));
                assertThat(p.blastProbability()).isEmpty();
                assertThat(p.blastFlagged()).isFalse();
            }
            assertThat(predictions.stream().map(CellPrediction::topType).distinct())
                    .as("the fixture images are told apart").hasSizeGreaterThan(1);
        }
    }

    @Test
    void fixtureModelResizesImagesOfAnotherSize() throws Exception {
        List<DecodedImage> cells = ParitySample.load("parity/parity.json").decodeAll().subList(0, 3);
        try (CellClassifier classifier = CellClassifier.open(
                ClassifierConfig.defaults().withModelPath(FixtureModel.path(FixtureModel.TINY)))) {
            List<CellPrediction> predictions = classifier.classify(cells);

            assertThat(cells.get(0).width()).isNotEqualTo(classifier.metadata().input().width());
            assertThat(predictions).hasSize(3).allSatisfy(p -> {
                assertThat(p.typeProbabilities().values().stream().mapToDouble(Double::doubleValue).sum())
                        .isCloseTo(1.0, within(1e-5));
                assertThat(p.attributes().get("shade").value()).isIn("light", "dark");
            });
        }
    }

    @Test
    void modelWithoutContractMetadataIsATypedErrorNamingTheKey() {
        ClassifierConfig config = ClassifierConfig.defaults()
                .withModelPath(FixtureModel.path(FixtureModel.TINY_WITHOUT_METADATA));

        assertThatThrownBy(() -> CellClassifier.open(config))
                .isInstanceOfSatisfying(InvalidModelMetadataException.class,
                        e -> assertThat(e.key()).isEqualTo(CellModelMetadata.KEY_CONTRACT))
                .hasMessageContaining(CellModelMetadata.KEY_CONTRACT);
    }

    @Test
    void metadataNamingAnOutputTheGraphLacksIsATypedErrorNamingTheKey() {
        ClassifierConfig config = ClassifierConfig.defaults()
                .withModelPath(FixtureModel.path("models/fixture-tiny-wrong-output.onnx"));

        assertThatThrownBy(() -> CellClassifier.open(config))
                .isInstanceOfSatisfying(InvalidModelMetadataException.class,
                        e -> assertThat(e.key()).isEqualTo(CellModelMetadata.KEY_ATTRIBUTES))
                .hasMessageContaining("no_such_output");
    }

    @Test
    void missingModelFileNamesTheKey() {
        ClassifierConfig config = ClassifierConfig.defaults().withModelPath(java.nio.file.Path.of("no/such/model.onnx"));

        assertThatThrownBy(() -> CellClassifier.open(config)).hasMessageContaining(ClassifierConfig.KEY_MODEL_PATH);
    }
}
