package org.hemastream.inference.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;

import org.hemastream.Main;
import org.hemastream.inference.ParitySample;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class EvaluateCellsCommandTest {

    private static final String SUMMARY = "cells=\\d+ accuracy=(\\d\\.\\d{4}|nan) macro_f1=(\\d\\.\\d{4}|nan) "
            + "blast_recall=(\\d\\.\\d{4}|nan) blast_specificity=(\\d\\.\\d{4}|nan)";

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void evaluatingATinyManifestEndsWithTheSummaryLineInTheExactFormat() throws Exception {
        Path manifest = tinyManifest("eval");
        Path png = dir.resolve("out/confusion.png");

        int code = run("evaluate-cells", "--manifest", manifest.toString(), "--split", "eval", "--batch", "16",
                "--confusion-png", png.toString());

        assertThat(code).as(err.toString()).isZero();
        List<String> lines = out.toString().lines().toList();
        String last = lines.get(lines.size() - 1);
        assertThat(last).matches(SUMMARY).startsWith("cells=" + expectedCells() + " ");
        assertThat(out.toString()).contains("per slide").contains("support").contains("precision");
        assertThat(ImageIO.read(png.toFile()).getWidth()).isGreaterThan(200);
    }

    @Test
    void manifestWithoutRowsInTheDefaultSplitFailsWithAClearMessage() throws Exception {
        Path manifest = tinyManifest("eval");

        int code = run("evaluate-cells", "--manifest", manifest.toString());

        assertThat(code).isNotZero();
        assertThat(err.toString()).contains("no rows in split 'test'").contains("--split");
    }

    @Test
    void helpListsTheOptionsWithTheirDefaults() {
        int code = run("evaluate-cells", "--help");

        assertThat(code).isZero();
        assertThat(out.toString()).contains("--manifest", "--split", "--model", "--batch", "--confusion-png")
                .contains("Default: 64").contains("Default: test");
    }

    @Test
    void aLabsOwnManifestIsEvaluatedWithNonBlastCellsCountedForSpecificityOnlyAndPerSlideAlerts() throws Exception {
        ParitySample sample = ParitySample.load("parity/parity.json");
        Path folder = Files.createDirectories(dir.resolve("our-lab/img"));
        StringBuilder csv = new StringBuilder("file,label,split,slide_id\n");
        int typed = 0;
        int nonBlast = 0;
        int blasts = 0;
        int i = 0;
        for (ParitySample.Cell cell : sample.cells()) {
            Path copy = folder.resolve(cell.image().getFileName());
            Files.copy(cell.image(), copy);
            String label = cell.label();
            if (label.equals("lymphocyte") || label.equals("monocyte")) {
                label = "non_blast";
                nonBlast++;
            } else if (label.equals("blast")) {
                label = i % 2 == 0 ? "myeloblast" : "blast";
                blasts++;
                typed++;
            } else if (label.equals("basophil")) {
                label = "mast_cell"; // unknown: skipped and counted
            } else {
                typed++;
            }
            csv.append("img/").append(copy.getFileName()).append(',').append(label).append(",test,SL")
                    .append(i++ % 4).append('\n');
        }
        Path manifest = folder.getParent().resolve("manifest.csv");
        Files.writeString(manifest, csv);

        int code = run("evaluate-cells", "--manifest", manifest.toString(), "--batch", "32");

        assertThat(code).as(err.toString()).isZero();
        String text = out.toString();
        assertThat(text).contains("dataset generic (source our-lab)").contains("{mast_cell=10}");
        assertThat(text).contains("all sources: " + blasts + " blasts, " + (typed - blasts + nonBlast) + " non-blasts");
        assertThat(text).contains("per slide").contains("alerted").contains("our-lab/SL0").contains("slide sensitivity")
                .contains("false-alert rate");
        List<String> lines = text.lines().toList();
        assertThat(lines.get(lines.size() - 1)).matches(SUMMARY).startsWith("cells=" + typed + " ");
    }

    @Test
    void aSiteProfileForAnotherModelStopsTheEvaluationWithTheReason() throws Exception {
        Path manifest = tinyManifest("eval");
        Path profile = dir.resolve("profile.json");
        Files.writeString(profile, "{\"format\": \"hemastream-site-profile/1\", \"parentModel\": {\"version\": \"x\", "
                + "\"sha256\": \"" + "0".repeat(64) + "\"}, \"blastThreshold\": 0.4}");

        int code = run("evaluate-cells", "--manifest", manifest.toString(), "--split", "eval", "--site-profile",
                profile.toString());

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("inference.siteProfile").contains("0".repeat(64));
    }

    /** A manifest in a folder named like the cross-site set (labels = cell types), images from the parity sample. */
    private Path tinyManifest(String split) throws Exception {
        ParitySample sample = ParitySample.load("parity/parity.json");
        Path folder = Files.createDirectories(dir.resolve("crosssite_aml_lmu/images"));
        StringBuilder csv = new StringBuilder("file,label,split,patient_id\n");
        int i = 0;
        for (ParitySample.Cell cell : sample.cells()) {
            Path copy = folder.resolve(cell.image().getFileName());
            Files.copy(cell.image(), copy);
            csv.append("images/").append(copy.getFileName()).append(',').append(cell.label()).append(',')
                    .append(split).append(",P").append(i++ % 3).append('\n');
        }
        Path manifest = folder.getParent().resolve("manifest.csv");
        Files.writeString(manifest, csv);
        return manifest;
    }

    private static long expectedCells() throws Exception {
        Map<String, String> map = CellLabelMap.load().forManifest("crosssite_aml_lmu", List.of()).map();
        return ParitySample.load("parity/parity.json").cells().stream().filter(c -> map.containsKey(c.label())).count();
    }

    private int run(String... args) {
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }
}
