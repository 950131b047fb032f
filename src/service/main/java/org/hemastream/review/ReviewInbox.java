package org.hemastream.review;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the review page shows, held in memory and rebuilt from Kafka at start: every blast alert with its slide's
 * stage history, the slide's classified cells (a compact summary of each cell result, with where its image is),
 * the specimen's latest CBC, and the reviews already made.
 *
 * <p>Memory is bounded: cells and CBCs are kept for slides and specimens that have an alert; those not (yet)
 * alerted are kept in a window of the most recent {@value #PENDING_SLIDES} slides and {@value #PENDING_CBCS}
 * CBCs, evicted oldest first. At start the small alerts topic is caught up long before the cell results, so a
 * slide's cells find its alert already known.
 *
 * <p>Fed by one thread (the feed), read by the HTTP event loop: every method is synchronized and returns copies.
 */
public final class ReviewInbox {

    static final int PENDING_SLIDES = 5_000;
    static final int PENDING_CBCS = 20_000;

    private static final class Slide {
        final String specimenId;
        final String slideId;
        final Map<String, JsonObject> alertsById = new LinkedHashMap<>();
        final Map<String, JsonObject> cells = new LinkedHashMap<>();
        final List<JsonObject> reviews = new ArrayList<>();

        Slide(String specimenId, String slideId) {
            this.specimenId = specimenId;
            this.slideId = slideId;
        }

        JsonObject latestAlert() {
            return alertsById.values().stream().max(Comparator.comparing((JsonObject a) -> "final".equals(a.getString("stage")))
                    .thenComparing(a -> a.getString("issuedAt", ""))).orElse(null);
        }

        JsonObject latestVerdict() {
            for (int i = reviews.size() - 1; i >= 0; i--) {
                if (reviews.get(i).getString("verdict") != null) {
                    return reviews.get(i);
                }
            }
            return null;
        }
    }

    private final Map<String, Slide> alerted = new HashMap<>();
    private final Map<String, Slide> pending = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Slide> eldest) {
            return size() > PENDING_SLIDES;
        }
    };
    private final Map<String, String> slideByAlertId = new HashMap<>();
    private final Map<String, JsonObject> cbcs = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, JsonObject> eldest) {
            return size() > PENDING_CBCS && !alertedSpecimens.containsKey(eldest.getKey());
        }
    };
    private final Map<String, Integer> alertedSpecimens = new HashMap<>();
    /** Reviews read before their slide's alert (the topics are read side by side): attached when it arrives. */
    private final Map<String, List<JsonObject>> reviewsBeforeAlert = new HashMap<>();

    private static String key(String specimenId, String slideId) {
        return specimenId + "\u0000" + slideId;
    }

    /** A {@code blast-alert} event. */
    public synchronized void alert(JsonObject a) {
        String k = key(a.getString("specimenId"), a.getString("slideId"));
        Slide s = alerted.get(k);
        if (s == null) {
            s = pending.remove(k);
            if (s == null) {
                s = new Slide(a.getString("specimenId"), a.getString("slideId"));
            }
            alerted.put(k, s);
            alertedSpecimens.merge(s.specimenId, 1, Integer::sum);
            List<JsonObject> early = reviewsBeforeAlert.remove(k);
            if (early != null) {
                s.reviews.addAll(early);
            }
        }
        s.alertsById.putIfAbsent(a.getString("alertId"), a);
        slideByAlertId.put(a.getString("alertId"), k);
    }

    /** A {@code cell-result} event, kept as a summary: top types, P(blast), model call, image position. */
    public synchronized void cellResult(JsonObject r) {
        String k = key(r.getString("specimenId"), r.getString("slideId"));
        Slide s = alerted.get(k);
        if (s == null) {
            s = pending.computeIfAbsent(k, x -> new Slide(r.getString("specimenId"), r.getString("slideId")));
        }
        JsonObject probabilities = r.getJsonObject("probabilities", new JsonObject());
        JsonArray top = new JsonArray();
        probabilities.getMap().entrySet().stream()
                .sorted((x, y) -> Double.compare(((Number) y.getValue()).doubleValue(), ((Number) x.getValue()).doubleValue()))
                .limit(3).forEach(e -> top.add(new JsonObject().put("type", e.getKey()).put("probability", e.getValue())));
        JsonObject cell = new JsonObject().put("cellId", r.getString("cellId")).put("cellType", r.getString("cellType"))
                .put("probability", r.getValue("probability")).put("blastProbability", probabilities.getValue("blast", 0.0))
                .put("modelBlast", r.getBoolean("blast", false)).put("top", top).put("modelVersion", r.getString("modelVersion"))
                .put("capturedAt", r.getString("capturedAt"));
        JsonObject capture = r.getJsonObject("capture");
        if (capture != null) {
            cell.put("capture", capture.copy());
        }
        s.cells.putIfAbsent(r.getString("cellId"), cell);
    }

    /** A {@code cbc-result} event: the latest measurement per specimen is kept. */
    public synchronized void cbc(JsonObject c) {
        String id = c.getString("specimenId");
        JsonObject known = cbcs.get(id);
        if (known == null || known.getString("measuredAt", "").compareTo(c.getString("measuredAt", "")) <= 0) {
            cbcs.put(id, c);
        }
    }

    /** An {@code alert-review} event (ours, read back from the topic). */
    public synchronized void review(JsonObject r) {
        String k = key(r.getString("specimenId"), r.getString("slideId"));
        Slide s = alerted.get(k);
        List<JsonObject> reviews = s != null ? s.reviews : reviewsBeforeAlert.computeIfAbsent(k, x -> new ArrayList<>());
        if (reviews.stream().noneMatch(x -> x.getString("reviewId").equals(r.getString("reviewId")))) {
            reviews.add(r);
        }
    }

    /** Every alerted slide, newest alert first: the latest stage of each, with the latest verdict if any. */
    public synchronized List<JsonObject> alerts() {
        List<JsonObject> out = new ArrayList<>();
        for (Slide s : alerted.values()) {
            JsonObject a = s.latestAlert();
            JsonObject verdict = s.latestVerdict();
            JsonObject row = new JsonObject().put("alertId", a.getString("alertId")).put("specimenId", s.specimenId)
                    .put("slideId", s.slideId).put("stage", a.getString("stage")).put("issuedAt", a.getString("issuedAt"))
                    .put("blastCount", a.getInteger("blastCount")).put("promyelocyteCount", a.getInteger("promyelocyteCount", 0))
                    .put("classifiedCells", a.getInteger("classifiedCells")).put("blastPercent", a.getValue("blastPercent"))
                    .put("slideRuleMet", a.getBoolean("slideRuleMet", true))
                    .put("promyelocyteExcess", a.getBoolean("promyelocyteExcess", false))
                    .put("cbcFlags", a.getJsonArray("cbcFlags", new JsonArray()).copy());
            if (verdict != null) {
                row.put("verdict", verdict.getString("verdict")).put("reviewedBy", verdict.getJsonObject("reviewer").getString("name"))
                        .put("reviewedAt", verdict.getString("reviewedAt"));
            }
            out.add(row);
        }
        out.sort(Comparator.comparing((JsonObject r) -> r.getString("issuedAt", "")).reversed());
        return out;
    }

    /**
     * One alerted slide as the page shows it: its alerts (history), the CBC, every classified cell (those listed
     * by the latest alert marked {@code listed}), and its reviews; empty when the alert ID is unknown.
     */
    public synchronized Optional<JsonObject> slide(String alertId) {
        String k = slideByAlertId.get(alertId);
        if (k == null) {
            return Optional.empty();
        }
        Slide s = alerted.get(k);
        JsonObject latest = s.latestAlert();
        Map<String, JsonObject> listed = new HashMap<>();
        for (Object o : latest.getJsonArray("blastCells", new JsonArray())) {
            JsonObject c = (JsonObject) o;
            listed.put(c.getString("cellId"), c);
        }
        JsonArray cells = new JsonArray();
        s.cells.values().forEach(c -> {
            JsonObject copy = c.copy();
            JsonObject l = listed.get(c.getString("cellId"));
            copy.put("listed", l != null);
            if (l != null) {
                copy.put("alertCellType", l.getString("cellType", "blast")).put("flagged", l.getBoolean("flagged", true));
            }
            cells.add(copy);
        });
        JsonArray history = new JsonArray();
        s.alertsById.values().stream().sorted(Comparator.comparing((JsonObject a) -> a.getString("issuedAt", "")))
                .forEach(a -> history.add(a.copy()));
        JsonArray reviews = new JsonArray();
        s.reviews.forEach(r -> reviews.add(r.copy()));
        JsonObject cbc = cbcs.get(s.specimenId);
        return Optional.of(new JsonObject().put("specimenId", s.specimenId).put("slideId", s.slideId)
                .put("alert", latest.copy()).put("history", history).put("cbc", cbc == null ? null : cbc.copy())
                .put("cells", cells).put("reviews", reviews));
    }

    /** One alert (a stage of a slide) by its ID. */
    public synchronized Optional<JsonObject> alert(String alertId) {
        String k = slideByAlertId.get(alertId);
        return k == null ? Optional.empty() : Optional.of(alerted.get(k).alertsById.get(alertId).copy());
    }

    /** A cell of an alerted slide, as summarised (with its image position), or empty. */
    public synchronized Optional<JsonObject> cell(String specimenId, String slideId, String cellId) {
        Slide s = alerted.get(key(specimenId, slideId));
        return s == null ? Optional.empty() : Optional.ofNullable(s.cells.get(cellId)).map(JsonObject::copy);
    }

    /** Review outcomes for the metrics. */
    public record Outcomes(Map<String, Integer> slidesByVerdict, Map<String, Integer> cellsByCalls, int openAlerts) {
    }

    /**
     * Slides by their latest verdict; explicitly decided cells by (model call, reviewer call), each cell's latest
     * decision counting once — {@code blast} when the reviewer called it blast, {@code not_blast} otherwise; the
     * model's call is its flag at the blast threshold. Alerted slides without a verdict are open.
     */
    public synchronized Outcomes outcomes() {
        Map<String, Integer> verdicts = new HashMap<>();
        Map<String, Integer> calls = new HashMap<>();
        int open = 0;
        for (Slide s : alerted.values()) {
            JsonObject v = s.latestVerdict();
            if (v == null) {
                open++;
            } else {
                verdicts.merge(v.getString("verdict"), 1, Integer::sum);
            }
            Map<String, JsonObject> latestByCell = new LinkedHashMap<>();
            for (JsonObject r : s.reviews) {
                for (Object o : r.getJsonArray("cells", new JsonArray())) {
                    JsonObject c = (JsonObject) o;
                    latestByCell.put(c.getString("cellId"), c);
                }
            }
            latestByCell.values().forEach(c -> calls.merge((c.getBoolean("modelBlast", false) ? "blast" : "not_blast") + "/"
                    + ("blast".equals(c.getString("decision")) ? "blast" : "not_blast"), 1, Integer::sum));
        }
        return new Outcomes(verdicts, calls, open);
    }
}
