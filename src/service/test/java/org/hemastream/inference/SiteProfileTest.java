package org.hemastream.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class SiteProfileTest {

    private static final String HASH = "0123456789abcdef".repeat(4);

    private static JsonObject profile() {
        return new JsonObject().put("format", SiteProfile.FORMAT).put("createdAt", "2026-12-01T21:00:00Z")
                .put("parentModel", new JsonObject().put("version", "blasty-1").put("sha256", HASH))
                .put("siteData", new JsonObject().put("cells", 300).put("blasts", 40))
                .put("blastThreshold", 0.42)
                .put("slideAlertRule", new JsonObject().put("minBlastCells", 2).put("minBlastFraction", 0.01));
    }

    private static CellModelMetadata model() {
        Map<String, String> m = FixtureModel.metadata();
        m.put("hemastream.model_version", "blasty-1");
        m.put("hemastream.cell_types", "{\"output\": \"kind\", \"classes\": [\"alpha\", \"blast\"]}");
        m.put("hemastream.thresholds", "{\"blast\": 0.5}");
        return CellModelMetadata.fromCustomMetadata(m);
    }

    @Test
    void aProfileForTheLoadedModelSetsItsThresholdAndSlideRuleAndSaysWhereTheyCameFrom() {
        SiteProfile p = SiteProfile.fromJson(profile(), "lab.json");

        CellModelMetadata applied = p.applyTo(model(), HASH.toUpperCase());

        assertThat(applied.blastThreshold()).hasValue(0.42);
        assertThat(applied.slideAlertRule().minBlastCells()).isEqualTo(2);
        assertThat(applied.slideAlertRule().minBlastFraction()).isEqualTo(0.01);
        assertThat(applied.slideAlertRule().origin()).contains("site profile lab.json").contains("300 cells")
                .contains("40 blasts");
    }

    @Test
    void aProfileWithoutASlideRuleKeepsTheModelsRule() {
        JsonObject json = profile();
        json.remove("slideAlertRule");

        CellModelMetadata applied = SiteProfile.fromJson(json, "lab.json").applyTo(model(), HASH);

        assertThat(applied.slideAlertRule().minBlastCells()).isEqualTo(1);
        assertThat(applied.slideAlertRule().origin()).contains("names no slide rule");
    }

    @Test
    void aProfileForAnotherModelIsRefusedNamingBothModels() {
        SiteProfile p = SiteProfile.fromJson(profile(), "lab.json");

        assertThatThrownBy(() -> p.applyTo(model(), "f".repeat(64)))
                .hasMessageContaining(SiteProfile.KEY).hasMessageContaining(HASH).hasMessageContaining("f".repeat(64))
                .hasMessageContaining("calibrate-cells");
    }

    @Test
    void malformedProfilesAreRefusedWithTheFieldAtFault() {
        assertThatThrownBy(() -> SiteProfile.fromJson(profile().put("format", "x"), "p.json"))
                .hasMessageContaining("not a site profile");
        assertThatThrownBy(() -> SiteProfile.fromJson(profile().put("blastThreshold", 1.5), "p.json"))
                .hasMessageContaining("blastThreshold");
        assertThatThrownBy(() -> SiteProfile.fromJson(profile().put("parentModel", new JsonObject()
                .put("version", "v")), "p.json")).hasMessageContaining("parentModel.sha256");
        assertThatThrownBy(() -> SiteProfile.fromJson(profile().put("slideAlertRule", new JsonObject()
                .put("minBlastCells", 0)), "p.json")).hasMessageContaining("slideAlertRule");
    }
}
