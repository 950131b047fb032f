package org.hemastream.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.hemastream.diagnosis.CellVocabulary;
import org.hemastream.diagnosis.DiagnosticModel;
import org.hemastream.diagnosis.FeatureAssembler;
import org.hemastream.diagnosis.cohort.CellResultCache;
import org.hemastream.diagnosis.cohort.CohortCbcSynthesizer;
import org.hemastream.diagnosis.cohort.CohortProfile;
import org.hemastream.diagnosis.cohort.CohortSpecimen;
import org.hemastream.diagnosis.training.CohortTable;
import org.hemastream.diagnosis.training.FeatureTable;
import org.hemastream.events.CbcResult;
import org.hemastream.events.DiagnosticScore;
import org.hemastream.events.EventSchemas;
import org.hemastream.kafka.KafkaBroker;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Diagnostic scores in the stream: every specimen gets its {@code cbc-only} score, then its
 * {@code final} one, and they are the scores {@code evaluate-diagnosis} computes for the same specimen.
 */
class DiagnosticScorePipelineTest extends PipelineTestBase {

    private final EventSchemas schemas = new EventSchemas();

    private static ObjectNode cbcEvent(PipelineHarness h, CbcResult cbc) {
        ObjectNode n = h.mapper.createObjectNode().put("schemaVersion", 1).put("type", "cbc-result")
                .put("specimenId", cbc.specimenId()).put("measuredAt", cbc.measuredAt().toString());
        ObjectNode p = n.putObject("parameters");
        cbc.parameters().forEach((code, m) -> p.putObject(code).put("value", m.value()).put("unit", m.unit()));
        cbc.flags().forEach(n.putArray("flags")::add);
        return n;
    }

    private static CbcResult mdsCbc(String specimenId, long seed) {
        Random r = new Random(seed);
        Map<String, Double> diff = CohortProfile.MDS.differential(r);
        return new CohortCbcSynthesizer().synthesize(specimenId, CohortProfile.MDS, diff, 0, r, Instant.now());
    }

    private List<JsonNode> scoresOf(PipelineHarness h, String specimenId) {
        List<JsonNode> out = new ArrayList<>();
        for (PipelineHarness.Output o : h.outputs) {
            if (o.topic().equals(h.config.topics().diagnosticScores()) && o.key().equals(specimenId)) {
                out.add(o.event());
            }
        }
        return out;
    }

    @Test
    void aSpecimenGetsItsCbcOnlyScoreThenItsFinalScoreInThatOrderWhicheverInputComesLast(KafkaBroker broker)
            throws Exception {
        PipelineHarness h = harness(broker, Map.of());
        h.start(PipelineHarness.classifier());
        List<TestCells.Cell> cells = new ArrayList<>(TestCells.labelled("segmented_neutrophil", "PBC"));
        cells.addAll(TestCells.labelled("lymphocyte", "PBC"));
        // CBC first (the usual order), and CBC last (it completes the specimen: both scores at once).
        String cbcFirst = "DX-CBC-FIRST";
        String cbcLast = "DX-CBC-LAST";
        Map<String, CbcResult> sentCbcs = new java.util.HashMap<>();
        sentCbcs.put(cbcFirst, mdsCbc(cbcFirst, 1));
        sentCbcs.put(cbcLast, mdsCbc(cbcLast, 2));
        h.send(h.config.topics().cbc(), cbcFirst, cbcEvent(h, sentCbcs.get(cbcFirst)));
        for (String id : List.of(cbcFirst, cbcLast)) {
            for (int i = 0; i < cells.size(); i++) {
                h.send(h.config.topics().captures(), id, h.cell(id, id + "-S1", "c" + i, cells.get(i).jpeg()));
            }
            h.send(h.config.topics().captures(), id, h.slideComplete(id, id + "-S1", cells.size()));
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> h.cellResults().size() == 2 * cells.size());
        h.send(h.config.topics().cbc(), cbcLast, cbcEvent(h, sentCbcs.get(cbcLast)));
        await().atMost(Duration.ofSeconds(60)).until(() -> scoresOf(h, cbcFirst).size() >= 2 && scoresOf(h, cbcLast).size() >= 2);

        for (String id : List.of(cbcFirst, cbcLast)) {
            List<JsonNode> scores = scoresOf(h, id);
            assertThat(scores).extracting(s -> s.get("stage").asText()).as(id).containsExactly("cbc-only", "final");
            JsonNode cbcOnly = scores.get(0);
            JsonNode fin = scores.get(1);
            assertThat(cbcOnly.get("scoreId").asText()).isEqualTo(DiagnosticScore.scoreId(id, DiagnosticScore.Stage.CBC_ONLY));
            assertThat(fin.get("scoreId").asText()).isEqualTo(DiagnosticScore.scoreId(id, DiagnosticScore.Stage.FINAL));
            assertThat(cbcOnly.get("completeness").get("classifiedCells").asInt()).isZero();
            assertThat(cbcOnly.get("completeness").get("specimen").asText()).isEqualTo("open");
            assertThat(fin.get("completeness").get("classifiedCells").asInt()).isEqualTo(cells.size());
            assertThat(fin.get("completeness").get("specimen").asText()).isEqualTo("complete");
            for (JsonNode s : scores) {
                assertThat(schemas.validate("diagnostic-score", s)).isEmpty();
                double sum = 0;
                for (JsonNode p : s.get("probabilities")) {
                    sum += p.asDouble();
                }
                assertThat(sum).isCloseTo(1.0, within(1e-5));
                assertThat(s.get("leading")).isNotEmpty();
                assertThat(s.get("cellModelVersion").asText()).isEqualTo(PipelineHarness.classifier().modelVersion());
            }
            // cbc-only: no morphology feature has a value
            for (JsonNode lead : cbcOnly.get("leading")) {
                for (JsonNode c : lead.get("contributions")) {
                    if (FeatureAssembler.isMorphology(c.get("feature").asText())) {
                        assertThat(c.get("value").isNull()).as(c.toString()).isTrue();
                    }
                }
            }
        }
    }

    @Test
    void theStreamScoresASpecimenExactlyAsEvaluateDiagnosisDoes(KafkaBroker broker) throws Exception {
        Path datasets = Path.of(System.getProperty("hemastream.datasets", "../shared/datasets"));
        assumeTrue(Files.isRegularFile(datasets.resolve("pbc_wbcatt/manifest.csv"))
                && Files.isRegularFile(datasets.resolve("deepapl_cellavision/manifest.csv")),
                "data sets not found at ../shared/datasets (set -Dhemastream.datasets=DIR)");
        PipelineHarness h = harness(broker, Map.of());
        h.start(PipelineHarness.classifier());

        // The evaluation path: a small held-out cohort, features, the model's probabilities.
        DiagnosticModel model = DiagnosticModel.loadReference();
        FeatureAssembler assembler = new FeatureAssembler(CellVocabulary.of(PipelineHarness.classifier().metadata()));
        CohortTable cohort = CohortTable.build(datasets, "test", 12, 77, 6, PipelineHarness.classifier(), assembler,
                model.features(), 2);
        FeatureTable table = cohort.table();
        double[] expected = model.probabilities(table.values(), table.rows());
        double[] expectedCbcOnly = model.probabilities(table.withoutMorphology().values(), table.rows());
        int classes = model.classes().size();
        model.close();

        List<Integer> chosen = new ArrayList<>();
        for (int i = 0; i < cohort.specimens().size() && chosen.size() < 3; i++) {
            if (!cohort.specimens().get(i).smear().isEmpty()) {
                chosen.add(i);
            }
        }
        for (int i : chosen) {
            CohortSpecimen s = cohort.specimens().get(i);
            h.send(h.config.topics().cbc(), s.specimenId(), cbcEvent(h, s.cbc()));
            for (int c = 0; c < s.smear().size(); c++) {
                h.send(h.config.topics().captures(), s.specimenId(), h.cell(s.specimenId(), s.slideId(),
                        CohortSpecimen.cellId(c), CellResultCache.read(s.smear().get(c))));
            }
            h.send(h.config.topics().captures(), s.specimenId(), h.slideComplete(s.specimenId(), s.slideId(), s.smear().size()));
        }
        await().atMost(Duration.ofSeconds(120)).until(() -> chosen.stream()
                .allMatch(i -> scoresOf(h, cohort.specimens().get(i).specimenId()).size() >= 2));
        for (int i : chosen) {
            CohortSpecimen s = cohort.specimens().get(i);
            List<JsonNode> scores = scoresOf(h, s.specimenId());
            assertThat(scores).extracting(n -> n.get("stage").asText()).containsExactly("cbc-only", "final");
            for (int k = 0; k < classes; k++) {
                String cls = table.classes().get(k);
                assertThat(scores.get(0).get("probabilities").get(cls).asDouble()).as("%s cbc-only %s", s.specimenId(), cls)
                        .isCloseTo(expectedCbcOnly[i * classes + k], within(1e-6));
                assertThat(scores.get(1).get("probabilities").get(cls).asDouble()).as("%s final %s", s.specimenId(), cls)
                        .isCloseTo(expected[i * classes + k], within(1e-6));
            }
            assertThat(scores.get(1).get("completeness").get("classifiedCells").asInt())
                    .isEqualTo(cohort.cells().get(s.specimenId()).size());
        }
    }
}
