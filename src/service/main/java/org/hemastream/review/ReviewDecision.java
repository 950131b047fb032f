package org.hemastream.review;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Turns what the page posts into an {@code alert-review} event (schema {@code schemas/alert-review.schema.json}):
 * the slide verdict and/or per-cell decisions, the reviewer and time, and what was reviewed — the alert the page
 * showed (ID, stage), the cell model's version and threshold, and for each cell the model's call and where its image is.
 * Pure: the caller supplies the inbox, the reviewer and the time.
 */
public final class ReviewDecision {

    /** Slide verdicts. */
    public static final List<String> VERDICTS = List.of("confirmed", "rejected", "needs-microscopy");
    /** Cell decisions: one of the 14 cell types, or {@code non_blast} (known not to be a blast, type not given). */
    public static final List<String> CELL_DECISIONS = List.of("blast", "non_blast", "segmented_neutrophil",
            "band_neutrophil", "lymphocyte", "lymphocyte_variant", "monocyte", "eosinophil", "basophil", "promyelocyte",
            "myelocyte", "metamyelocyte", "erythroblast", "platelet", "smudge_cell");
    static final int MAX_COMMENT = 2000;

    /** A request the page should not have sent: the message says what is wrong (HTTP 400/404). */
    public static final class Refused extends Exception {
        final int status;

        Refused(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    private ReviewDecision() {
    }

    /**
     * @param body {@code {alertId, verdict?, cells?: [{cellId, decision}], comment?}}
     * @throws Refused when the alert is unknown, or the verdict, a cell or a decision is not valid
     */
    public static JsonObject event(JsonObject body, ReviewInbox inbox, Reviewers.Reviewer reviewer, Instant now)
            throws Refused {
        String alertId = body.getValue("alertId") instanceof String s ? s : null;
        if (alertId == null) {
            throw new Refused(400, "alertId is required");
        }
        JsonObject alert = inbox.alert(alertId).orElseThrow(() -> new Refused(404, "unknown alert " + alertId));
        Object verdict = body.getValue("verdict");
        if (verdict != null && !VERDICTS.contains(verdict)) {
            throw new Refused(400, "verdict must be one of " + VERDICTS);
        }
        Object comment = body.getValue("comment");
        if (comment != null && (!(comment instanceof String c) || c.length() > MAX_COMMENT)) {
            throw new Refused(400, "comment must be text of at most " + MAX_COMMENT + " characters");
        }
        Object given = body.getValue("cells", new JsonArray());
        if (!(given instanceof JsonArray cellsIn)) {
            throw new Refused(400, "cells must be a list");
        }
        JsonArray cells = new JsonArray();
        Set<String> seen = new HashSet<>();
        for (Object o : cellsIn) {
            if (!(o instanceof JsonObject c) || !(c.getValue("cellId") instanceof String cellId)
                    || !CELL_DECISIONS.contains(c.getValue("decision"))) {
                throw new Refused(400, "each cell needs a cellId and a decision, one of " + CELL_DECISIONS);
            }
            if (!seen.add(cellId)) {
                throw new Refused(400, "cell " + cellId + " is decided twice");
            }
            JsonObject known = inbox.cell(alert.getString("specimenId"), alert.getString("slideId"), cellId)
                    .orElseThrow(() -> new Refused(400, "cell " + cellId + " is not a classified cell of this slide"));
            JsonObject out = new JsonObject().put("cellId", cellId).put("decision", c.getString("decision"))
                    .put("modelCellType", known.getString("cellType"))
                    .put("modelBlastProbability", known.getValue("blastProbability"))
                    .put("modelBlast", known.getBoolean("modelBlast"));
            if (known.getJsonObject("capture") != null) {
                out.put("capture", known.getJsonObject("capture").copy());
            }
            cells.add(out);
        }
        if (verdict == null && cells.isEmpty()) {
            throw new Refused(400, "a review needs a verdict or at least one cell decision");
        }
        String reviewedAt = now.toString();
        String reviewId = UUID.nameUUIDFromBytes(("hemastream/alert-review/" + alertId + "/" + reviewer.name() + "/"
                + reviewedAt + "/" + body.encode()).getBytes(StandardCharsets.UTF_8)).toString();
        JsonObject event = new JsonObject().put("schemaVersion", 1).put("type", "alert-review").put("reviewId", reviewId)
                .put("specimenId", alert.getString("specimenId")).put("slideId", alert.getString("slideId"))
                .put("alertId", alert.getString("alertId")).put("alertStage", alert.getString("stage"))
                .put("modelVersion", alert.getString("modelVersion")).put("threshold", alert.getValue("threshold"));
        if (verdict != null) {
            event.put("verdict", verdict);
        }
        event.put("cells", cells);
        if (comment != null) {
            event.put("comment", comment);
        }
        return event.put("reviewer", new JsonObject().put("name", reviewer.name())
                        .put("authenticatedBy", reviewer.authenticatedBy()))
                .put("reviewedAt", reviewedAt);
    }
}
