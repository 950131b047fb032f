package org.hemastream.publish;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.hemastream.config.ServiceConfig;
import org.hemastream.config.Settings;
import org.hemastream.events.BlastAlert;
import org.hemastream.events.CellResult;
import org.hemastream.events.EventSchemas;
import org.hemastream.events.RecordOrigin;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class OutputEncoderTest {

    private final ObjectMapper mapper = new ObjectMapper();
    private final EventSchemas schemas = new EventSchemas();

    private static final BlastAlert ALERT = new BlastAlert(BlastAlert.alertId("S-1", "S-1-A", BlastAlert.Stage.FINAL), "S-1",
            "S-1-A", BlastAlert.Stage.FINAL, 1, 10, 10.0, 0.55,
            List.of(new BlastAlert.BlastCell("S-1-A-3", 0.9, Instant.parse("2026-12-01T10:00:00Z"), "blast", true)),
            List.of("Blasts?"), true, 0, "cellnet-2.0.0", Instant.parse("2026-12-01T10:00:01Z"), 0, true, false);

    @Test
    void anAlertLinksToItsReviewPageWhenABaseUrlIsConfigured() throws Exception {
        ServiceConfig linked = ServiceConfig.from(Settings.defaults().with(Map.of("alerts.reviewBaseUrl", "https://review.lab.example/")));

        JsonNode alert = mapper.readTree(new OutputEncoder(linked).blastAlert(ALERT, 0).value());
        JsonNode unlinked = mapper.readTree(new OutputEncoder(ServiceConfig.from(Settings.defaults()))
                .blastAlert(ALERT, 0).value());

        assertThat(alert.get("reviewUrl").asText()).isEqualTo("https://review.lab.example/alerts/" + ALERT.alertId());
        assertThat(schemas.validate("blast-alert", alert)).isEmpty();
        assertThat(unlinked.has("reviewUrl")).isFalse();
    }

    @Test
    void aCellResultCarriesItsCaptureRecordsPosition() throws Exception {
        CellResult r = new CellResult("S-1", "S-1-A", "S-1-A-3", Instant.parse("2026-12-01T10:00:00Z"), "cellnet-2.0.0", "blast", 0.9,
                Map.of("blast", 0.9, "lymphocyte", 0.1), Map.of(), true);
        OutputEncoder encoder = new OutputEncoder(ServiceConfig.from(Settings.defaults()));

        JsonNode json = mapper.readTree(encoder.cellResult(r, 1, new RecordOrigin("lab.cell.captures", 1, 4711, -1, "S-1")).value());

        assertThat(json.get("capture")).isEqualTo(mapper.createObjectNode().put("partition", 1).put("offset", 4711));
        assertThat(schemas.validate("cell-result", json)).isEmpty();
        assertThat(mapper.readTree(encoder.cellResult(r, 1, null).value()).has("capture")).isFalse();
    }
}
