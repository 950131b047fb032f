package org.hemastream.diagnosis.training;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FeatureTableTest {

    private static final List<String> CLASSES = CohortTable.referenceClasses();

    private static Path csv(Path dir, String text) throws Exception {
        Path f = dir.resolve("site-export.csv");
        Files.writeString(f, text);
        return f;
    }

    @Test
    void aSiteExportIsReadWithEmptyAndNaCellsAsMissingValues(@TempDir Path dir) throws Exception {
        FeatureTable t = FeatureTable.readCsv(csv(dir, """
                specimen_id,diagnosis,WBC,HGB,pct_blast,flag_Blasts?
                S1,mds,3.1,9.2,,0
                S2,AML,24.5,8.1,41.5,1
                S3,normal,6.2,14.1,NA,0
                """), CLASSES);
        assertThat(t.features()).containsExactly("WBC", "HGB", "pct_blast", "flag_Blasts?");
        assertThat(t.classes()).isEqualTo(CLASSES);
        assertThat(t.ids()).containsExactly("S1", "S2", "S3");
        assertThat(t.labels()).containsExactly(CLASSES.indexOf("mds"), CLASSES.indexOf("aml"), CLASSES.indexOf("normal"));
        assertThat(t.values()[2]).isNaN();
        assertThat(t.values()[4 + 2]).isEqualTo(41.5);
        assertThat(t.values()[8 + 2]).isNaN();
    }

    @Test
    void aNonNumericValueIsRefusedWithItsRowAndColumn(@TempDir Path dir) throws Exception {
        Path f = csv(dir, """
                specimen_id,diagnosis,WBC,HGB
                S1,mds,3.1,9.2
                S2,aml,24.5,low
                """);
        assertThatThrownBy(() -> FeatureTable.readCsv(f, CLASSES))
                .isInstanceOf(FeatureTable.CsvFormatException.class)
                .hasMessageContaining("row 2").hasMessageContaining("column 'HGB'").hasMessageContaining("'low'");
    }

    @Test
    void aRowWithAMissingColumnIsRefusedWithTheRowAndTheColumnNamed(@TempDir Path dir) throws Exception {
        Path f = csv(dir, """
                specimen_id,diagnosis,WBC,HGB,PLT
                S1,mds,3.1,9.2,88
                S2,aml,24.5,8.0
                """);
        assertThatThrownBy(() -> FeatureTable.readCsv(f, CLASSES))
                .isInstanceOf(FeatureTable.CsvFormatException.class)
                .hasMessageContaining("row 2").hasMessageContaining("column 'PLT' is missing");
    }

    @Test
    void aHeaderWithoutTheDiagnosisOrAFeatureTheModelNeedsIsRefusedNamingTheColumn(@TempDir Path dir) throws Exception {
        Path noDiagnosis = csv(dir, "specimen_id,WBC\nS1,3.1\n");
        assertThatThrownBy(() -> FeatureTable.readCsv(noDiagnosis, CLASSES))
                .hasMessageContaining("no column 'diagnosis'");
        Path noPlt = dir.resolve("b.csv");
        Files.writeString(noPlt, "specimen_id,diagnosis,WBC\nS1,mds,3.1\n");
        FeatureTable t = FeatureTable.readCsv(noPlt, CLASSES);
        assertThatThrownBy(() -> t.select(List.of("WBC", "PLT"), noPlt.toString()))
                .hasMessageContaining("no column 'PLT'");
    }

    @Test
    void aWrittenTableReadsBackTheSame(@TempDir Path dir) throws Exception {
        FeatureTable t = new FeatureTable(List.of("WBC", "rate_cytoplasm_colour=light blue"), CLASSES, List.of("A", "B"),
                new int[]{0, 5}, new double[]{6.25, Double.NaN, 2.5, 0.125});
        Path f = dir.resolve("t.csv");
        t.writeCsv(f);
        FeatureTable back = FeatureTable.readCsv(f, CLASSES);
        assertThat(back.features()).isEqualTo(t.features());
        assertThat(back.labels()).containsExactly(0, 5);
        assertThat(back.values()).containsExactly(6.25, Double.NaN, 2.5, 0.125);
    }
}
