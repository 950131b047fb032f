package org.hemastream.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoPackTest {

    private static DemoPack pack;

    @BeforeAll
    static void loadPack() {
        pack = DemoPack.load();
    }

    @Test
    void packLoadsFromTheClasspathWithTheExpectedSpecimens() {
        assertThat(pack.specimens()).extracting(Specimen::specimenId).containsExactly(
                "DEMO-AML-92", "DEMO-AML-02", "DEMO-APL-39", "DEMO-APL-69", "DEMO-APL-97",
                "DEMO-NORMAL-01", "DEMO-NORMAL-02", "DEMO-NORMAL-03");
        assertThat(pack.seed()).isEqualTo(DemoPack.DEFAULT_SEED);
        Map<Diagnosis, Long> byDiagnosis = pack.specimens().stream()
                .collect(Collectors.groupingBy(Specimen::diagnosis, Collectors.counting()));
        assertThat(byDiagnosis).containsEntry(Diagnosis.AML, 2L).containsEntry(Diagnosis.APL, 3L)
                .containsEntry(Diagnosis.NORMAL, 3L);
        assertThat(pack.specimen("DEMO-APL-97")).get().extracting(Specimen::sourceReference).isEqualTo("Patient_97");
    }

    @Test
    void everyImageIsADecodable128PixelJpeg() throws IOException {
        for (Specimen s : pack.specimens()) {
            for (SpecimenCell c : s.cells()) {
                assertThat(c.jpeg()).as("JPEG magic of %s", c.originalFile()).startsWith((byte) 0xFF, (byte) 0xD8);
                BufferedImage image = ImageIO.read(new ByteArrayInputStream(c.jpeg()));
                assertThat(image).as("decoded %s", c.originalFile()).isNotNull();
                assertThat(image.getWidth()).isEqualTo(128);
                assertThat(image.getHeight()).isEqualTo(128);
            }
        }
    }

    @Test
    void everyCellKeepsItsProvenance() {
        for (Specimen s : pack.specimens()) {
            assertThat(s.cells()).isNotEmpty();
            for (SpecimenCell c : s.cells()) {
                assertThat(c.dataset()).isEqualTo(s.dataset());
                assertThat(c.originalFile()).startsWith("images/").endsWith(".jpg");
                assertThat(c.label()).isNotBlank();
            }
        }
    }

    @Test
    void healthySpecimensHaveNoBlastsAndLeukaemicOnesHaveTheirGroundTruth() {
        for (Specimen s : pack.specimens()) {
            if (s.diagnosis() == Diagnosis.NORMAL) {
                assertThat(s.blastCount()).as(s.specimenId()).isZero();
                assertThat(s.blastEquivalentCount()).as(s.specimenId()).isZero();
                assertThat(s.cells()).extracting(SpecimenCell::label).as(s.specimenId())
                        .doesNotContain("blast", "promyelocyte", "myelocyte", "metamyelocyte", "erythroblast")
                        .contains("segmented_neutrophil", "lymphocyte");
                assertThat(s.cells().size()).isBetween(100, 150);
            }
            if (s.diagnosis() == Diagnosis.AML) {
                assertThat(s.blastCount()).as(s.specimenId()).isPositive();
            }
        }
        assertThat(pack.specimen("DEMO-AML-92").orElseThrow().blastCount()).isGreaterThan(50);
        assertThat(pack.specimen("DEMO-APL-97").orElseThrow().blastCount()).isBetween(1L, 3L);
        // APL's leukaemic cells here are promyelocytes: blast equivalents, not blasts.
        Specimen apl69 = pack.specimen("DEMO-APL-69").orElseThrow();
        assertThat(apl69.blastCount()).isZero();
        assertThat(apl69.blastEquivalentCount()).isGreaterThan(50);
    }

    @Test
    void deepAplCellsAreInCaptureOrderAndIncludeLabelsOutsideTheClassifier() {
        for (Specimen s : pack.specimens()) {
            if (!s.dataset().equals(DatasetSpecimens.DEEPAPL)) {
                continue;
            }
            List<Long> numbers = s.cells().stream().map(c -> DatasetSpecimens.captureNumber(c.originalFile())).toList();
            assertThat(numbers).as(s.specimenId()).isSorted().doesNotHaveDuplicates();
        }
        assertThat(pack.specimens().stream().flatMap(s -> s.cells().stream()).map(SpecimenCell::label))
                .contains("smudge_cell", "lymphocyte_variant");
    }

    @Test
    void cellIdsLeadBackToTheGroundTruth() {
        Specimen s = pack.specimen("DEMO-AML-92").orElseThrow();
        assertThat(s.cellById(s.cellId(0))).containsSame(s.cells().get(0));
        assertThat(s.cellById("DEMO-AML-92-S1-" + String.format("%04d", s.cells().size()))).isPresent();
        assertThat(s.cellById("DEMO-AML-92-S1-0000")).isEmpty();
        assertThat(s.cellById("DEMO-AML-02-S1-0001")).isEmpty();
        assertThat(s.withSpecimenId("X-R2").cellById("X-R2-S1-0001")).containsSame(s.cells().get(0));
    }

    @Test
    void packStaysSmallEnoughForTheJar() {
        assertThat(pack.imageBytes()).isLessThan(8_000_000L);
    }

    @Test
    void writtenPackReadsBackIdentically(@TempDir Path dir) throws IOException {
        pack.writeTo(dir);
        DemoPack again = DemoPack.read(dir);
        assertThat(again.specimens()).hasSameSizeAs(pack.specimens());
        for (int i = 0; i < pack.specimens().size(); i++) {
            Specimen a = pack.specimens().get(i);
            Specimen b = again.specimens().get(i);
            assertThat(b.specimenId()).isEqualTo(a.specimenId());
            assertThat(b.cbc()).isEqualTo(a.cbc());
            assertThat(b.cells()).hasSameSizeAs(a.cells());
            for (int k = 0; k < a.cells().size(); k++) {
                assertThat(b.cells().get(k).jpeg()).isEqualTo(a.cells().get(k).jpeg());
                assertThat(b.cells().get(k).originalFile()).isEqualTo(a.cells().get(k).originalFile());
            }
        }
        // Rewriting the same pack gives the committed manifest byte for byte.
        byte[] committed;
        try (var in = DemoPack.class.getClassLoader().getResourceAsStream("demo-pack/manifest.json")) {
            committed = in.readAllBytes();
        }
        assertThat(Files.readAllBytes(dir.resolve("manifest.json"))).isEqualTo(committed);
        assertThat(Files.readString(dir.resolve("README.md"))).contains("CC BY 4.0", "not yet confirmed", "synthetic");
    }
}
