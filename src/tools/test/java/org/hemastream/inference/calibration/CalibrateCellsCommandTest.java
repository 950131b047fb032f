package org.hemastream.inference.calibration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.vertx.core.json.JsonObject;
import org.hemastream.Main;
import org.hemastream.inference.CellClassifier;
import org.hemastream.inference.ClassifierConfig;
import org.hemastream.inference.ParitySample;
import org.hemastream.inference.SiteProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** calibrate-cells end to end on the shipped model (real ONNX Runtime) and the parity sample's real cells. */
class CalibrateCellsCommandTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void tooSmallDataIsRefusedBeforeTheModelIsLoaded() throws Exception {
        Path manifest = labManifest("small", 1, false); // 140 cells, 10 blasts

        int code = run("calibrate-cells", "--manifest", manifest.toString(), "--out", dir.resolve("p.json").toString());

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("too little data").contains("10 blasts").contains("20 blasts");
        assertThat(dir.resolve("p.json")).doesNotExist();
    }

    @Test
    void aManifestWithoutBlastsIsRefused() throws Exception {
        Path manifest = labManifest("noblasts", 2, true);

        int code = run("calibrate-cells", "--manifest", manifest.toString(), "--out", dir.resolve("p.json").toString());

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("no blast-labelled cells");
    }

    @Test
    void calibrationReportsEveryHeldOutFoldAndWritesAProfileBoundToTheModel() throws Exception {
        Path manifest = labManifest("lab", 2, false); // 280 cells, 20 blasts (each image twice)
        Path profilePath = dir.resolve("out/site-profile.json");

        int code = run("calibrate-cells", "--manifest", manifest.toString(), "--folds", "4", "--batch", "32",
                "--intra-op-threads", "1", "--out", profilePath.toString());

        assertThat(code).as(err.toString()).isZero();
        List<String> lines = out.toString().lines().filter(l -> !l.isBlank()).toList();
        assertThat(lines.get(lines.size() - 1)).matches("cells=280 blasts=20 folds=4 threshold=\\d\\.\\d{4} "
                + "before_recall=\\d\\.\\d{4} before_specificity=\\d\\.\\d{4} heldout_recall=\\d\\.\\d{4} "
                + "heldout_specificity=\\d\\.\\d{4}");
        assertThat(lines).filteredOn(l -> l.matches("^[1-4] +\\d+ +\\d+ .*")).hasSize(4);

        JsonObject json = new JsonObject(Files.readString(profilePath));
        byte[] modelBytes;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(CellClassifier.DEFAULT_MODEL_RESOURCE)) {
            modelBytes = in.readAllBytes();
        }
        assertThat(json.getJsonObject("parentModel").getString("sha256")).isEqualTo(CellClassifier.sha256(modelBytes));
        assertThat(json.getJsonObject("parentModel").getString("version")).isEqualTo(shippedModelVersion());
        assertThat(json.getJsonObject("siteData").getInteger("cells")).isEqualTo(280);
        assertThat(json.getJsonObject("siteData").getInteger("blasts")).isEqualTo(20);
        assertThat(json.getJsonObject("siteData").getString("manifestSha256"))
                .isEqualTo(CellClassifier.sha256(Files.readAllBytes(manifest)));
        assertThat(json.getDouble("targetSpecificity")).isEqualTo(0.97);
        assertThat(json.getJsonObject("validation").getJsonArray("folds")).hasSize(4);
        assertThat(json.getJsonObject("validation").getJsonObject("after").getInteger("blasts")).isEqualTo(20);
        assertThat(json.getString("createdAt")).isNotBlank();

        SiteProfile profile = SiteProfile.read(profilePath);
        try (CellClassifier calibrated = CellClassifier.open(ClassifierConfig.defaults().withSiteProfile(profilePath))) {
            assertThat(calibrated.metadata().blastThreshold()).hasValue(profile.blastThreshold());
            assertThat(calibrated.siteProfile()).isNotNull();
            assertThat(calibrated.metadata().slideAlertRule().origin()).contains("site profile");
        }
    }

    @Test
    void aProfileForAnotherModelIsRefusedAtLoadNamingBothHashes() throws Exception {
        Path profilePath = dir.resolve("foreign.json");
        String otherHash = "ab".repeat(32);
        SiteProfile.write(new JsonObject().put("format", SiteProfile.FORMAT).put("createdAt", "2026-12-01T00:00:00Z")
                .put("parentModel", new JsonObject().put("version", "cellnet-9").put("sha256", otherHash))
                .put("blastThreshold", 0.3), profilePath);

        assertThatThrownBy(() -> CellClassifier.open(ClassifierConfig.defaults().withSiteProfile(profilePath)))
                .hasMessageContaining("inference.siteProfile").hasMessageContaining(otherHash)
                .hasMessageContaining(shippedModelVersion()).hasMessageContaining("calibrate-cells");
    }

    /** The version of the model in the jar, as its parity sample (written by the same training run) names it. */
    private static String shippedModelVersion() throws Exception {
        return ParitySample.load("parity/parity.json").modelVersion();
    }

    /** A generic (lab) manifest of the parity sample's real cells, each image listed {@code copies} times. */
    private Path labManifest(String name, int copies, boolean dropBlasts) throws Exception {
        ParitySample sample = ParitySample.load("parity/parity.json");
        Path folder = Files.createDirectories(dir.resolve(name + "/images"));
        StringBuilder csv = new StringBuilder("file,label,split\n");
        for (int c = 0; c < copies; c++) {
            for (ParitySample.Cell cell : sample.cells()) {
                if (dropBlasts && cell.label().equals("blast")) {
                    continue;
                }
                Path copy = folder.resolve(c + "-" + cell.image().getFileName());
                Files.copy(cell.image(), copy);
                csv.append("images/").append(copy.getFileName()).append(',').append(cell.label()).append(",test\n");
            }
        }
        Path manifest = folder.getParent().resolve("manifest.csv");
        Files.writeString(manifest, csv);
        return manifest;
    }

    private int run(String... args) {
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }
}
