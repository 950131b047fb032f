package org.hemastream.review;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.DatabindCodec;
import org.hemastream.events.EventSchemas;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReviewDecisionTest {

    private static final Reviewers.Reviewer DR = new Reviewers.Reviewer("Dr. Ana Souza", "reviewers-file");
    private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");

    /** The schema examples' alert and cell result, fed to an inbox as the feed would. */
    private static ReviewInbox inbox() throws Exception {
        ReviewInbox inbox = new ReviewInbox();
        JsonObject cell = new JsonObject(Files.readString(Path.of("schemas/examples/cell-result.example.json")));
        inbox.cellResult(cell);
        JsonObject lymphocyte = cell.copy().put("cellId", "S2611-00042-1-0011").put("blast", false).put("cellType", "lymphocyte")
                .put("probabilities", new JsonObject().put("lymphocyte", 0.8).put("blast", 0.2));
        lymphocyte.remove("capture");
        inbox.cellResult(lymphocyte);
        inbox.alert(new JsonObject(Files.readString(Path.of("schemas/examples/blast-alert.example.json"))));
        return inbox;
    }

    private static final String ALERT = "4c8d2f0e-6f3b-3a51-9d0e-2b7b1c0f9a44";

    @Test
    void aVerdictWithCellDecisionsBecomesAnAuditEventThatMatchesItsSchema() throws Exception {
        JsonObject body = new JsonObject().put("alertId", ALERT).put("verdict", "rejected").put("comment", "smudged")
                .put("cells", new JsonArray().add(new JsonObject().put("cellId", "S2611-00042-1-0007").put("decision", "lymphocyte_variant")));

        JsonObject e = ReviewDecision.event(body, inbox(), DR, NOW);

        assertThat(new EventSchemas().validate("alert-review", DatabindCodec.mapper().valueToTree(e.getMap()))).isEmpty();
        assertThat(e.getString("specimenId")).isEqualTo("S2611-00042");
        assertThat(e.getString("alertStage")).isEqualTo("preliminary");
        assertThat(e.getString("modelVersion")).isEqualTo("cellnet-1.0.0");
        assertThat(e.getString("verdict")).isEqualTo("rejected");
        assertThat(e.getString("reviewedAt")).isEqualTo("2026-12-01T10:00:00Z");
        assertThat(e.getJsonObject("reviewer").getString("name")).isEqualTo("Dr. Ana Souza");
        JsonObject c = e.getJsonArray("cells").getJsonObject(0);
        assertThat(c.getString("decision")).isEqualTo("lymphocyte_variant");
        assertThat(c.getString("modelCellType")).isEqualTo("blast");
        assertThat(c.getBoolean("modelBlast")).isTrue();
        assertThat(c.getJsonObject("capture")).isEqualTo(new JsonObject().put("partition", 1).put("offset", 4711));
    }

    @Test
    void requestsThePageShouldNotSendAreRefusedWithTheReason() throws Exception {
        ReviewInbox inbox = inbox();
        assertThatThrownBy(() -> ReviewDecision.event(new JsonObject().put("alertId", "nope").put("verdict", "confirmed"), inbox, DR, NOW))
                .isInstanceOf(ReviewDecision.Refused.class).hasMessageContaining("unknown alert")
                .satisfies(e -> assertThat(((ReviewDecision.Refused) e).status()).isEqualTo(404));
        assertThatThrownBy(() -> ReviewDecision.event(new JsonObject().put("alertId", ALERT).put("verdict", "maybe"), inbox, DR, NOW))
                .hasMessageContaining("verdict must be one of");
        assertThatThrownBy(() -> ReviewDecision.event(new JsonObject().put("alertId", ALERT), inbox, DR, NOW))
                .hasMessageContaining("a verdict or at least one cell decision");
        assertThatThrownBy(() -> ReviewDecision.event(new JsonObject().put("alertId", ALERT).put("cells", new JsonArray()
                .add(new JsonObject().put("cellId", "S2611-00042-1-0007").put("decision", "myeloblast"))), inbox, DR, NOW))
                .hasMessageContaining("decision");
        assertThatThrownBy(() -> ReviewDecision.event(new JsonObject().put("alertId", ALERT).put("cells", new JsonArray()
                .add(new JsonObject().put("cellId", "another-slides-cell").put("decision", "blast"))), inbox, DR, NOW))
                .hasMessageContaining("not a classified cell of this slide");
    }

    @Test
    void aReviewReadBeforeItsAlertIsKept() throws Exception {
        JsonObject review = ReviewDecision.event(new JsonObject().put("alertId", ALERT).put("verdict", "confirmed"), inbox(), DR, NOW);
        ReviewInbox restarted = new ReviewInbox();
        restarted.review(review);
        restarted.review(review);
        restarted.alert(new JsonObject(Files.readString(Path.of("schemas/examples/blast-alert.example.json"))));

        assertThat(restarted.slide(ALERT).orElseThrow().getJsonArray("reviews")).hasSize(1);
        assertThat(restarted.outcomes().slidesByVerdict()).containsEntry("confirmed", 1);
    }

    @Test
    void outcomesCountTheLatestVerdictPerSlideAndTheLatestDecisionPerCell() throws Exception {
        ReviewInbox inbox = inbox();
        JsonArray blast = new JsonArray().add(new JsonObject().put("cellId", "S2611-00042-1-0007").put("decision", "blast"));
        JsonArray notBlast = new JsonArray().add(new JsonObject().put("cellId", "S2611-00042-1-0007").put("decision", "non_blast"));
        inbox.review(ReviewDecision.event(new JsonObject().put("alertId", ALERT).put("verdict", "confirmed").put("cells", blast), inbox, DR, NOW));
        assertThat(inbox.outcomes().slidesByVerdict()).containsEntry("confirmed", 1);
        assertThat(inbox.outcomes().cellsByCalls()).containsExactlyEntriesOf(java.util.Map.of("blast/blast", 1));

        inbox.review(ReviewDecision.event(new JsonObject().put("alertId", ALERT).put("verdict", "rejected").put("cells", notBlast),
                inbox, DR, NOW.plusSeconds(60)));

        assertThat(inbox.outcomes().slidesByVerdict()).containsExactlyEntriesOf(java.util.Map.of("rejected", 1));
        assertThat(inbox.outcomes().cellsByCalls()).containsExactlyEntriesOf(java.util.Map.of("blast/not_blast", 1));
        assertThat(inbox.outcomes().openAlerts()).isZero();
        assertThat(inbox.alerts().get(0).getString("verdict")).isEqualTo("rejected");
    }
}
