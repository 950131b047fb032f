package org.hemastream.diagnosis;

import io.vertx.core.Vertx;
import org.hemastream.HemastreamService;
import org.hemastream.config.ServiceConfig;
import org.hemastream.config.Settings;
import org.hemastream.diagnosis.training.CohortTable;
import org.hemastream.diagnosis.training.DiagnosisTrainer;
import org.hemastream.diagnosis.training.FeatureTable;
import org.hemastream.inference.OnnxBatchClassifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A diagnostic model that needs a feature the cell model cannot supply stops start-up, naming it. */
class DiagnosticStartupCheckTest {

    /** Trains a small model on random data with these features (any model is enough for the check). */
    static Path tinyModel(Path dir, List<String> features) throws Exception {
        List<String> classes = CohortTable.referenceClasses();
        int rows = 120;
        Random r = new Random(5);
        double[] v = new double[rows * features.size()];
        int[] labels = new int[rows];
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            labels[i] = i % classes.size();
            ids.add("S" + i);
            for (int j = 0; j < features.size(); j++) {
                v[i * features.size() + j] = labels[i] * (j + 1) + r.nextGaussian();
            }
        }
        new DiagnosisTrainer().train(new FeatureTable(features, classes, ids, labels, v), 1, 5, "tiny-test-model", null)
                .write(dir);
        return dir;
    }

    @Test
    void aModelNeedingACellTypeOrAttributeValueTheCellModelLacksStopsStartUpNamingThem(@TempDir Path dir) throws Exception {
        tinyModel(dir, List.of("WBC", "HGB", "pct_blast", "pct_hairy_cell", "rate_granularity=yes",
                "rate_granularity=maybe"));
        ServiceConfig config = ServiceConfig.from(Settings.defaults().with(Map.of(
                "kafka.bootstrap.servers", "127.0.0.1:1", "diagnosis.model", dir.toString())));
        Vertx vertx = Vertx.vertx();
        try (OnnxBatchClassifier classifier = CohortTable.openClassifier(null)) {
            assertThatThrownBy(() -> HemastreamService.start(vertx, config, classifier, () -> { })
                    .await(60, TimeUnit.SECONDS))
                    .hasMessageContaining("cannot supply: [pct_hairy_cell, rate_granularity=maybe]");
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aDiagnosticModelPathThatDoesNotExistIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> ServiceConfig.from(Settings.defaults().with(Map.of("diagnosis.model", "/nope/model"))))
                .isInstanceOf(org.hemastream.config.ConfigException.class).hasMessageContaining("diagnosis.model");
        assertThatThrownBy(() -> ServiceConfig.from(Settings.defaults().with(Map.of("diagnosis.topFeatures", "-1"))))
                .hasMessageContaining("diagnosis.topFeatures");
    }

    @Test
    void theReferenceModelNeedsNothingTheReferenceCellModelLacks() throws Exception {
        try (OnnxBatchClassifier classifier = CohortTable.openClassifier(null);
             DiagnosticModel model = DiagnosticModel.loadReference()) {
            FeatureAssembler assembler = new FeatureAssembler(CellVocabulary.of(classifier.metadata()));
            assertThat(assembler.unsupplied(model.features())).isEmpty();
            assertThat(model.classes()).isEqualTo(CohortTable.referenceClasses());
        }
    }
}
