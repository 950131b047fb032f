package org.hemastream.diagnosis.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.hemastream.Main;
import org.hemastream.diagnosis.DiagnosticModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import javax.imageio.ImageIO;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code train-diagnosis} and {@code evaluate-diagnosis} end to end on tiny cohorts (a few images per
 * cell type, so the real cell model classifies a few hundred images). Needs the data sets.
 */
class DiagnosisCommandsTest {

    private static final String LAST_LINE = "specimens=\\d+ mds_auc=\\d\\.\\d{4} min_auc=\\d\\.\\d{4} macro_auc=\\d\\.\\d{4}";

    private static Path datasets;

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeAll
    static void findDatasets() {
        Path candidate = Path.of(System.getProperty("hemastream.datasets", "../shared/datasets"));
        if (Files.isRegularFile(candidate.resolve("pbc_wbcatt/manifest.csv"))
                && Files.isRegularFile(candidate.resolve("deepapl_cellavision/manifest.csv"))) {
            datasets = candidate;
        }
    }

    @Test
    void trainThenEvaluateWritesTheModelFilesAndEndsWithTheSummaryLine() throws Exception {
        assumeTrue(datasets != null, "data sets not found at ../shared/datasets (set -Dhemastream.datasets=DIR)");
        Path model = dir.resolve("model");
        Path csv = dir.resolve("cohort.csv");
        int code = run("train-diagnosis", "--cohort-size", "90", "--seed", "4", "--out", model.toString(),
                "--datasets", datasets.toString(), "--images-per-type", "6", "--iterations", "40",
                "--write-csv", csv.toString());
        assertThat(code).as(err.toString()).isZero();
        JsonNode sidecar = new ObjectMapper().readTree(model.resolve(DiagnosticModel.SIDECAR_FILE).toFile());
        assertThat(sidecar.get("classes")).extracting(JsonNode::asText).containsExactlyElementsOf(CohortTable.referenceClasses());
        assertThat(sidecar.get("features")).extracting(JsonNode::asText).contains("HGB", "NEUT#", "RDW-SD", "P-LCR",
                "flag_Blasts?", "pct_blast", "rate_granularity=no");
        assertThat(sidecar.get("training").get("specimens").asInt()).isEqualTo(90);
        assertThat(sidecar.get("training").get("cohortSplit").asText()).isEqualTo("train");

        Path report = dir.resolve("report");
        code = run("evaluate-diagnosis", "--model", model.toString(), "--cohort-size", "60", "--seed", "5",
                "--datasets", datasets.toString(), "--images-per-type", "6", "--bootstrap", "50", "--out", report.toString());
        assertThat(code).as(err.toString()).isZero();
        List<String> lines = out.toString().lines().toList();
        assertThat(lines.get(lines.size() - 1)).matches(LAST_LINE).startsWith("specimens=60 ");
        assertThat(out.toString()).contains("CBC-only").contains("confusion matrix").contains("Brier").contains("SYNTHETIC");
        assertThat(ImageIO.read(report.resolve("roc.png").toFile()).getWidth()).isGreaterThan(200);
        assertThat(new ObjectMapper().readTree(report.resolve("evaluation.json").toFile()).get("full").get("auc").size())
                .isEqualTo(6);

        // A site's export in the same format trains the same way.
        code = run("train-diagnosis", "--from-csv", csv.toString(), "--seed", "4", "--out", dir.resolve("site").toString(),
                "--iterations", "10");
        assertThat(code).as(err.toString()).isZero();
        assertThat(Files.exists(dir.resolve("site").resolve(DiagnosticModel.MODEL_FILE))).isTrue();
    }

    @Test
    void aCsvWithANonNumericValueIsRefusedNamingRowAndColumn() throws Exception {
        Path csv = dir.resolve("bad.csv");
        Files.writeString(csv, "specimen_id,diagnosis,WBC,PLT\nA,mds,3.2,80\nB,aml,12.1,n/a\n");
        int code = run("train-diagnosis", "--from-csv", csv.toString(), "--out", dir.resolve("m").toString());
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("row 2").contains("column 'PLT'").contains("'n/a' is not a number");
    }

    private int run(String... args) {
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }
}
