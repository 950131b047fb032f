package org.hemastream.review.export;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.hemastream.Main;
import org.hemastream.kafka.KafkaBroker;
import org.hemastream.kafka.KafkaBrokerExtension;
import org.hemastream.review.ReviewFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reviews → lab manifest → {@code evaluate-cells}: the exported folder is what the lab's own tools read.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ExportReviewsTest {

    @TempDir
    Path out;

    private static JsonObject review(ReviewFixture slide, String verdict, Map<Integer, String> decisions) {
        JsonArray cells = new JsonArray();
        decisions.forEach((i, decision) -> {
            ReviewFixture.Cell c = slide.cells.get(i);
            cells.add(new JsonObject().put("cellId", c.cellId()).put("decision", decision).put("modelCellType", "blast")
                    .put("modelBlastProbability", 0.9).put("modelBlast", true)
                    .put("capture", new JsonObject().put("partition", c.partition()).put("offset", c.offset())));
        });
        return new JsonObject().put("schemaVersion", 1).put("type", "alert-review").put("reviewId", java.util.UUID.randomUUID().toString())
                .put("specimenId", slide.specimenId).put("slideId", slide.slideId).put("alertId", slide.alertId)
                .put("alertStage", "final").put("modelVersion", "cellnet-2.0.0").put("threshold", 0.55).put("verdict", verdict)
                .put("cells", cells).put("reviewer", new JsonObject().put("name", "Dr. Ana Souza").put("authenticatedBy", "reviewers-file"))
                .put("reviewedAt", "2026-12-01T10:00:00Z");
    }

    @Test
    void theLatestDecisionPerCellBecomesAManifestThatEvaluateCellsReads(KafkaBroker broker) throws Exception {
        try (ReviewFixture slide = new ReviewFixture(broker, 6, 3)) {
            String reviews = slide.settings.get("topics.alertReviews");
            slide.send(reviews, review(slide, "confirmed", new java.util.TreeMap<>(Map.of(0, "blast", 1, "blast", 2, "blast",
                    3, "lymphocyte"))).encode().getBytes(StandardCharsets.UTF_8));
            // a second look: cell 1 was not a blast after all, cell 4 is decided too
            slide.send(reviews, review(slide, "confirmed", new java.util.TreeMap<>(Map.of(1, "non_blast", 4, "monocyte")))
                    .encode().getBytes(StandardCharsets.UTF_8));

            int exit = Main.commandLine().execute("export-reviews", "--bootstrap-servers", slide.settings.get("kafka.bootstrap.servers"),
                    "--set", "topics.alertReviews=" + reviews, "--set", "topics.captures=" + slide.settings.get("topics.captures"),
                    "--out", out.toString());

            assertThat(exit).isZero();
            List<String> manifest = Files.readAllLines(out.resolve("manifest.csv"));
            assertThat(manifest.get(0)).isEqualTo("file,label,split,slide_id");
            assertThat(manifest.subList(1, manifest.size())).extracting(l -> l.split(",")[1])
                    .containsExactlyInAnyOrder("blast", "non_blast", "blast", "lymphocyte", "monocyte");
            for (String row : manifest.subList(1, manifest.size())) {
                String file = row.split(",")[0];
                String cellId = file.substring(file.lastIndexOf('/') + 1, file.lastIndexOf('.'));
                ReviewFixture.Cell cell = slide.cells.stream().filter(c -> c.cellId().equals(cellId)).findFirst().orElseThrow();
                assertThat(Files.readAllBytes(out.resolve(file))).as(file).isEqualTo(cell.source().jpeg());
                assertThat(row).endsWith(",eval," + slide.slideId);
            }

            List<String> evaluated = run("evaluate-cells", "--manifest", out.resolve("manifest.csv").toString(), "--split", "eval",
                    "--intra-op-threads", "1", "--decode-threads", "1");
            // non_blast counts for blast specificity only, not for the cell-type metrics: 4 typed cells
            assertThat(evaluated.get(evaluated.size() - 1)).startsWith("cells=4 ").contains("blast_recall=").contains("blast_specificity=");
        }
    }

    /** Runs a command of the jar, returning its standard output's lines. */
    private static List<String> run(String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        int exit;
        try {
            exit = Main.commandLine().execute(args);
        } finally {
            System.setOut(original);
        }
        String text = captured.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(text).isZero();
        return new ArrayList<>(text.lines().filter(l -> !l.isBlank()).toList());
    }
}
