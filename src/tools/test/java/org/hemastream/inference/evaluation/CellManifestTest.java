package org.hemastream.inference.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CellManifestTest {

    @TempDir
    Path dir;

    @Test
    void csvWithQuotedCommasQuotesAndNewlinesIsParsed() {
        List<List<String>> rows = CellManifest.parseCsv("a,b,c\r\n1,\"x, \"\"y\"\"\",\"two\nlines\"\n2,,\n");

        assertThat(rows).containsExactly(List.of("a", "b", "c"), List.of("1", "x, \"y\"", "two\nlines"),
                List.of("2", "", ""));
    }

    @Test
    void datasetIsChosenByFolderNameThenByColumnAndLabelsOutsideTheTypesAreCounted() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("some-copy"));
        Path csv = folder.resolve("manifest.csv");
        Files.writeString(csv, """
                file,label,split,fine_label,cell_size
                images/a.jpg,neutrophil,test,segmented_neutrophil,big
                images/b.jpg,ig,test,ig_unspecified,
                images/c.jpg,lymphocyte,train,lymphocyte,small
                """);

        CellManifest manifest = CellManifest.read(csv, CellLabelMap.load());
        CellManifest.Selection test = manifest.select(CellManifest.Split.test);

        assertThat(manifest.labels().name()).isEqualTo("pbc_wbcatt");
        assertThat(test.cells()).singleElement().satisfies(c -> {
            assertThat(c.cellType()).isEqualTo("segmented_neutrophil");
            assertThat(c.image()).isEqualTo(folder.toAbsolutePath().resolve("images/a.jpg"));
            assertThat(c.columns()).containsEntry("cell_size", "big");
            assertThat(c.slide()).isNull();
        });
        assertThat(test.skippedByLabel()).containsEntry("ig_unspecified", 1);
        assertThat(manifest.select(CellManifest.Split.all).cells()).hasSize(2);
    }

    @Test
    void splitWithoutRowsFailsNamingTheSplitsThereAre() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("crosssite_aml_lmu"));
        Path csv = folder.resolve("manifest.csv");
        Files.writeString(csv, "file,label,split\nimages/a.jpg,blast,eval\n");

        CellManifest manifest = CellManifest.read(csv, CellLabelMap.load());

        assertThatThrownBy(() -> manifest.select(CellManifest.Split.test))
                .hasMessageContaining("no rows in split 'test'").hasMessageContaining("eval=1");
    }

    @Test
    void anyLabsManifestIsReadWithCellTypeNamesAliasesNonBlastAndSlidesAndUnknownLabelsAreCounted() throws Exception {
        Path csv = Files.createDirectories(dir.resolve("st-elsewhere")).resolve("manifest.csv");
        Files.writeString(csv, """
                file,label,split,slide_id,patient_id
                a.jpg,blast,test,SL1,P1
                b.jpg,Myeloblast,test,SL1,P1
                c.jpg,neutrophil_segmented,test,SL2,P1
                d.jpg,non_blast,test,SL2,P1
                e.jpg,nrbc,test,SL2,P1
                f.jpg,hairy_cell,test,SL2,P1
                g.jpg,smudge,test,,P1
                h.jpg,giant_platelet,test,SL3,P2
                i.jpg,monoblast,train,SL3,P2
                """);

        CellManifest manifest = CellManifest.read(csv, CellLabelMap.load());
        CellManifest.Selection test = manifest.select(CellManifest.Split.test);

        assertThat(manifest.labels().generic()).isTrue();
        assertThat(manifest.labels().source()).isEqualTo("st-elsewhere");
        assertThat(manifest.slideColumn()).as("slide_id wins over patient_id").isEqualTo("slide_id");
        assertThat(test.cells()).extracting(CellManifest.ManifestCell::cellType).containsExactly("blast", "blast",
                "segmented_neutrophil", CellLabelMap.NON_BLAST, "erythroblast", "smudge_cell", "platelet");
        assertThat(test.cells()).extracting(CellManifest.ManifestCell::slide)
                .containsExactly("SL1", "SL1", "SL2", "SL2", "SL2", null, "SL3");
        assertThat(test.cells().get(3).nonBlastOnly()).isTrue();
        assertThat(test.cells().get(1).trueBlast()).isTrue();
        assertThat(test.skippedByLabel()).containsExactly(java.util.Map.entry("hairy_cell", 1));
        assertThat(manifest.sha256()).hasSize(64);
    }

    @Test
    void aPatientColumnNamesTheSlideOfAGenericManifestAndDoesNotMakeItDeepApl() throws Exception {
        Path csv = Files.createDirectories(dir.resolve("lab2")).resolve("manifest.csv");
        Files.writeString(csv, "file,label,split,patient_id\na.jpg,promyelocyte,val,P7\n");

        CellManifest manifest = CellManifest.read(csv, CellLabelMap.load());

        assertThat(manifest.labels().generic()).isTrue();
        assertThat(manifest.select(CellManifest.Split.val).cells()).singleElement()
                .satisfies(c -> assertThat(c.slide()).isEqualTo("P7"));
    }

    @Test
    void theBundledDatasetsKeepTheirOwnMapsByFolderName() throws Exception {
        CellLabelMap map = CellLabelMap.load();

        assertThat(map.forManifest("bm_cytomorphology", List.of("file", "label", "split")).source()).isEqualTo("BM-MLL");
        assertThat(map.forManifest("deepapl_cellavision", List.of()).map()).containsEntry("giant_platelet", "platelet");
        assertThat(map.forManifest("copy", List.of("cellavision_class")).name()).isEqualTo("deepapl_cellavision");
        assertThat(map.genericAliases()).containsEntry("myeloblast", "blast").containsEntry("nrbc", "erythroblast")
                .containsEntry("smudge", "smudge_cell");
        assertThat(map.genericAliases().values()).allMatch(map.cellTypes()::contains);
    }
}
