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
    void manifestOfAnUnknownDatasetIsRefusedWithTheWaysToName() throws Exception {
        Path csv = Files.createDirectories(dir.resolve("mystery")).resolve("manifest.csv");
        Files.writeString(csv, "file,label,split\nimages/a.jpg,blast,test\n");

        assertThatThrownBy(() -> CellManifest.read(csv, CellLabelMap.load()))
                .hasMessageContaining("pbc_wbcatt").hasMessageContaining("fine_label");
    }
}
