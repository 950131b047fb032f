package org.hemastream.specimen;

import org.hemastream.alerts.BlastRule;
import org.hemastream.events.BlastAlert;
import org.hemastream.events.BlastAlert.BlastCell;
import org.hemastream.events.CbcResult;
import org.hemastream.events.CellImage;
import org.hemastream.events.CellResult;
import org.hemastream.events.DiagnosticScore;
import org.hemastream.events.ErrorCode;
import org.hemastream.events.RecordOrigin;
import org.hemastream.events.SlideComplete;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * The open specimens of this instance and their lifecycle: open → cells pending → complete, or
 * closed as partial after {@code maxIdle} without news (or when a bound is exceeded). Joins a
 * specimen's CBC and its smears, decides which cells need classifying (duplicates ignored), applies the
 * {@link BlastRule} as results come in, and says which diagnostic scores are due. Pure state: no I/O,
 * no Vert.x or Kafka types; not thread-safe — the ingest verticle calls it from its event loop only.
 *
 * <p>A specimen completes when its CBC has arrived and every slide it has is complete (the scanner's
 * {@code slide-complete} seen and every received cell classified or lost). A CBC without a smear, or a
 * smear without a CBC, waits up to {@code maxIdle} for the other and then closes as partial.
 *
 * <p>State that survives restarts: every specimen touched since the last {@link #takeChanges()} is
 * listed there as a {@link SpecimenState} (open: its CBC and classified cells; closed: a small marker),
 * which the shell writes to the changelog in the same transaction as the outputs; {@link #restore}
 * brings it back. Input for a specimen that already closed is refused ({@code LATE_CELL} /
 * {@code LATE_INPUT}) — a closed specimen's final outputs are never replaced by a worse re-derivation.
 */
public final class SpecimenBook {

    /**
     * @param maxIdle          how long a specimen may go without any event before it expires as partial
     * @param blastThreshold   the model's shipped P(blast) threshold (reported in alerts)
     * @param recentlyClosed   how many closed specimens to remember in memory, to refuse late input for them
     * @param maxCellsPerSlide a slide receiving more cells closes its specimen (partial, with the reason)
     * @param maxSlides        a specimen receiving more slides closes (partial, with the reason)
     * @param maxAge           a specimen open longer than this closes (partial, with the reason)
     */
    public record Policy(Duration maxIdle, double blastThreshold, int recentlyClosed, int maxCellsPerSlide,
                         int maxSlides, Duration maxAge) {
        public Policy(Duration maxIdle, double blastThreshold, int recentlyClosed) {
            this(maxIdle, blastThreshold, recentlyClosed, 2000, 8, Duration.ofHours(24));
        }
    }

    private final Policy policy;
    private final BlastRule rule;
    private final Map<String, Specimen> open = new LinkedHashMap<>();
    /** Closed specimens remembered (ID → marker), oldest first. */
    private final Map<String, SpecimenState> closed = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, SpecimenState> eldest) {
            return size() > policy.recentlyClosed();
        }
    };
    /** Specimens changed since the last {@link #takeChanges()}, by ID. */
    private final Map<String, Boolean> changed = new LinkedHashMap<>();

    public SpecimenBook(Policy policy, BlastRule rule) {
        this.policy = policy;
        this.rule = rule;
    }

    /**
     * A CBC result: a later measurement replaces an earlier one and is scored {@code cbc-only} (the first under
     * the specimen's {@code cbc-only} ID, a rerun under an ID of its own); the same measurement again (a replay)
     * or an older one is ignored.
     */
    public Effects cbc(CbcResult cbc, RecordOrigin origin, Instant now) {
        Effects fx = new Effects();
        if (closed.containsKey(cbc.specimenId())) {
            fx.rejections.add(new Effects.Rejection(origin, cbc.specimenId(), ErrorCode.LATE_INPUT,
                    "CBC measured " + cbc.measuredAt() + " arrived after the specimen closed; its final outputs stand"));
            return fx;
        }
        Specimen s = specimen(cbc.specimenId(), origin, now);
        if (s.cbc != null && !cbc.measuredAt().isAfter(s.cbc.measuredAt())) {
            fx.duplicates++;
            fx.released.add(origin);
            return fx;
        }
        s.hold(origin);
        s.cbc = cbc;
        String scoreId = s.cbcScoredAt == null ? DiagnosticScore.scoreId(s.id, DiagnosticScore.Stage.CBC_ONLY)
                : DiagnosticScore.scoreId(s.id, DiagnosticScore.Stage.CBC_ONLY, cbc.measuredAt());
        s.cbcScoredAt = cbc.measuredAt();
        fx.scores.add(new Effects.ScoreRequest(scoreId, s.id, DiagnosticScore.Stage.CBC_ONLY, cbc, List.of(), "open",
                List.of()));
        closeIfDone(s, fx, now);
        return fx;
    }

    /** A cell image: new cells go to classification; a repeated cell ID is ignored. */
    public Effects cell(CellImage cell, RecordOrigin origin, Instant now) {
        Effects fx = new Effects();
        if (closed.containsKey(cell.specimenId())) {
            fx.rejections.add(new Effects.Rejection(origin, cell.specimenId(), ErrorCode.LATE_CELL,
                    "cell arrived after its specimen closed; its final outputs stand"));
            return fx;
        }
        Specimen s = specimen(cell.specimenId(), origin, now);
        Slide slide = s.slides.get(cell.slideId());
        if (slide == null && s.slides.size() >= policy.maxSlides()) {
            return overLimit(s, origin, "more than " + policy.maxSlides() + " slides", fx, now);
        }
        slide = s.slide(cell.slideId());
        if (slide.received.containsKey(cell.cellId())) {
            fx.duplicates++;
            fx.released.add(origin);
            return fx;
        }
        if (slide.completed()) {
            fx.rejections.add(new Effects.Rejection(origin, cell.specimenId(), ErrorCode.LATE_CELL,
                    "cell arrived after its slide completed"));
            return fx;
        }
        if (slide.received.size() >= policy.maxCellsPerSlide()) {
            return overLimit(s, origin, "a slide with more than " + policy.maxCellsPerSlide() + " cells", fx, now);
        }
        slide.add(cell);
        s.hold(origin);
        fx.toClassify.add(cell);
        return fx;
    }

    /** The scanner finished a slide: once its cells are all classified, the final alert is due. */
    public Effects slideComplete(SlideComplete done, RecordOrigin origin, Instant now) {
        Effects fx = new Effects();
        SpecimenState marker = closed.get(done.specimenId());
        if (marker != null) {
            if (marker.slides().stream().anyMatch(sl -> sl.slideId().equals(done.slideId()))) {
                fx.duplicates++;
                fx.released.add(origin);
            } else {
                fx.rejections.add(new Effects.Rejection(origin, done.specimenId(), ErrorCode.LATE_INPUT,
                        "a slide completed after its specimen closed; its final outputs stand"));
            }
            return fx;
        }
        Specimen s = specimen(done.specimenId(), origin, now);
        Slide slide = s.slides.get(done.slideId());
        if (slide == null && s.slides.size() >= policy.maxSlides()) {
            return overLimit(s, origin, "more than " + policy.maxSlides() + " slides", fx, now);
        }
        slide = s.slide(done.slideId());
        s.hold(origin);
        if (!slide.completed()) {
            slide.expectedCells = done.cellCount();
        }
        finishSlideIfDone(s, slide, fx, now);
        closeIfDone(s, fx, now);
        return fx;
    }

    /**
     * A cell's classification came back from the worker pool. Accepted ones are listed in
     * {@link Effects#cellResults()}; unknown cells (dropped or closed specimens) and repeats are ignored.
     */
    public Effects classified(CellResult result, Instant now) {
        Effects fx = new Effects();
        Specimen s = open.get(result.specimenId());
        Slide slide = s == null ? null : s.slides.get(result.slideId());
        if (slide == null || !slide.received.containsKey(result.cellId())
                || slide.classified.containsKey(result.cellId()) || slide.lost.contains(result.cellId())) {
            return fx;
        }
        touch(s, now);
        slide.classified.put(result.cellId(), result);
        slide.modelVersion = result.modelVersion();
        fx.cellResults.add(result);
        BlastCell listed = rule.listed(result.cellId(), result.capturedAt(), result.blast(), result.probabilities(),
                result.cellType(), result.probability());
        if (listed != null) {
            slide.blasts.add(listed);
            if (rule.preliminaryDue(slide.blasts, slide.classified.size(), slide.preliminarySent)) {
                slide.preliminarySent = true;
                fx.alerts.add(rule.alert(BlastAlert.Stage.PRELIMINARY, facts(s, slide), slide.blasts, now));
            }
        }
        finishSlideIfDone(s, slide, fx, now);
        closeIfDone(s, fx, now);
        return fx;
    }

    /** A cell could not be classified (its image was refused); the specimen records the loss. */
    public Effects lost(String specimenId, String slideId, String cellId, Instant now) {
        Effects fx = new Effects();
        Specimen s = open.get(specimenId);
        Slide slide = s == null ? null : s.slides.get(slideId);
        if (slide == null || !slide.received.containsKey(cellId) || slide.classified.containsKey(cellId)
                || slide.lost.contains(cellId)) {
            return fx;
        }
        touch(s, now);
        slide.lost.add(cellId);
        finishSlideIfDone(s, slide, fx, now);
        closeIfDone(s, fx, now);
        return fx;
    }

    /**
     * Closes, as partial, every specimen idle for longer than {@code maxIdle} with no cell in flight, and
     * every specimen older than {@code maxAge}. The shell calls it only while the input can be read (a
     * broker outage must not expire specimens whose input is waiting on the broker; see {@link #shiftIdle}).
     */
    public Effects expire(Instant now) {
        Effects fx = new Effects();
        Iterator<Specimen> it = open.values().iterator();
        List<Specimen> expired = new ArrayList<>();
        List<Specimen> tooOld = new ArrayList<>();
        while (it.hasNext()) {
            Specimen s = it.next();
            Duration idle = Duration.between(s.lastActivity, now);
            boolean inFlight = s.slides.values().stream().anyMatch(sl -> sl.pending() > 0);
            if (Duration.between(s.firstSeen, now).compareTo(policy.maxAge()) > 0) {
                tooOld.add(s);
            } else if (idle.compareTo(policy.maxIdle()) > 0 && (!inFlight || idle.compareTo(policy.maxIdle().multipliedBy(2)) > 0)) {
                expired.add(s);
            }
        }
        for (Specimen s : tooOld) {
            s.extraReasons.add("open longer than the maximum age " + policy.maxAge());
            expired.add(s);
        }
        for (Specimen s : expired) {
            for (Slide slide : s.slides.values()) {
                if (slide.completed() && !slide.finalSent && finalDue(slide)) {
                    emitFinal(s, slide, fx, now);
                }
            }
            close(s, fx);
        }
        return fx;
    }

    /**
     * Moves every open specimen's last activity forward by {@code outage}: time during which the input
     * could not be read does not count as idle.
     */
    public void shiftIdle(Duration outage) {
        open.values().forEach(s -> s.lastActivity = s.lastActivity.plus(outage));
    }

    /**
     * Forgets the open specimens (and closed markers, and unsaved changes) of the input partitions that
     * match (revoked: the new owner restores them from the changelog).
     *
     * @return the IDs of the open specimens dropped
     */
    public List<String> drop(IntPredicate lostPartition) {
        List<String> dropped = new ArrayList<>();
        open.values().removeIf(s -> {
            boolean lost = lostPartition.test(s.partition);
            if (lost) {
                dropped.add(s.id);
            }
            return lost;
        });
        closed.values().removeIf(m -> lostPartition.test(m.partition()));
        changed.keySet().removeIf(id -> !open.containsKey(id) && !closed.containsKey(id));
        return dropped;
    }

    /** Restores a specimen (or a closed marker) from the changelog; its idle time starts now. */
    public void restore(SpecimenState state, Instant now) {
        if (state.closed()) {
            open.remove(state.specimenId());
            closed.put(state.specimenId(), state);
            return;
        }
        closed.remove(state.specimenId());
        Specimen s = new Specimen(state.specimenId(), state.partition(), state.firstSeen());
        s.lastActivity = now;
        s.cbc = state.cbc();
        s.cbcScoredAt = state.cbcScoredAt();
        for (SpecimenState.SlideState st : state.slides()) {
            Slide slide = s.slide(st.slideId());
            for (CellResult r : st.classified()) {
                slide.received.put(r.cellId(), r.capturedAt());
                slide.classified.put(r.cellId(), r);
            }
            for (String lost : st.lost()) {
                slide.received.put(lost, null);
                slide.lost.add(lost);
            }
            slide.blasts.addAll(st.blasts());
            slide.expectedCells = st.expectedCells();
            slide.preliminarySent = st.preliminarySent();
            slide.finalSent = st.finalSent();
            slide.modelVersion = st.modelVersion();
        }
        open.put(s.id, s);
    }

    /**
     * The state of every specimen changed since the last call — open ones in full (without cells still
     * being classified), closed ones as markers — and forgets the list. The shell writes these to the
     * changelog in the transaction that carries the outputs of the same changes; call it only when no
     * cell is in flight, so that a saved specimen holds no unclassified cell.
     */
    public List<SpecimenState> takeChanges() {
        List<SpecimenState> out = new ArrayList<>();
        for (String id : changed.keySet()) {
            Specimen s = open.get(id);
            if (s != null) {
                out.add(snapshot(s));
            } else if (closed.containsKey(id)) {
                out.add(closed.get(id));
            }
        }
        changed.clear();
        return out;
    }

    /** Whether this instance currently tracks the specimen as open. */
    public boolean isOpen(String specimenId) {
        return open.containsKey(specimenId);
    }

    /** The CBC an open specimen holds now (the latest measurement), or null. */
    public CbcResult currentCbc(String specimenId) {
        Specimen s = open.get(specimenId);
        return s == null ? null : s.cbc;
    }

    /** The input partition a known (open or remembered closed) specimen lives on, or -1. */
    public int partitionOf(String specimenId) {
        Specimen s = open.get(specimenId);
        if (s != null) {
            return s.partition;
        }
        SpecimenState m = closed.get(specimenId);
        return m == null ? -1 : m.partition();
    }

    public int openSpecimens() {
        return open.size();
    }

    private Effects overLimit(Specimen s, RecordOrigin origin, String what, Effects fx, Instant now) {
        fx.rejections.add(new Effects.Rejection(origin, s.id, ErrorCode.LIMIT_EXCEEDED,
                "specimen closed: " + what));
        s.extraReasons.add("limit: " + what);
        for (Slide slide : s.slides.values()) {
            if (slide.done() && !slide.finalSent && finalDue(slide)) {
                emitFinal(s, slide, fx, now);
            }
        }
        close(s, fx);
        return fx;
    }

    private SpecimenState snapshot(Specimen s) {
        List<SpecimenState.SlideState> slides = new ArrayList<>();
        for (Slide slide : s.slides.values()) {
            List<CellResult> classified = slide.cellsInCaptureOrder();
            slides.add(new SpecimenState.SlideState(slide.slideId, classified, List.copyOf(slide.lost),
                    List.copyOf(slide.blasts), slide.expectedCells, slide.preliminarySent, slide.finalSent,
                    slide.modelVersion));
        }
        return new SpecimenState(s.id, s.partition, false, s.firstSeen, s.cbc, s.cbcScoredAt, slides);
    }

    private Specimen specimen(String id, RecordOrigin origin, Instant now) {
        Specimen s = open.computeIfAbsent(id, k -> new Specimen(k, origin.partition(), now));
        touch(s, now);
        return s;
    }

    private void touch(Specimen s, Instant now) {
        s.lastActivity = now;
        changed.put(s.id, Boolean.TRUE);
    }

    private void finishSlideIfDone(Specimen s, Slide slide, Effects fx, Instant now) {
        if (slide.done() && !slide.finalSent && finalDue(slide)) {
            emitFinal(s, slide, fx, now);
        }
    }

    private boolean finalDue(Slide slide) {
        return rule.finalDue(slide.blasts, slide.classified.size(), slide.preliminarySent);
    }

    private void emitFinal(Specimen s, Slide slide, Effects fx, Instant now) {
        if (rule.preliminaryDue(slide.blasts, slide.classified.size(), slide.preliminarySent)) {
            slide.preliminarySent = true;
            fx.alerts.add(rule.alert(BlastAlert.Stage.PRELIMINARY, facts(s, slide), slide.blasts, now));
        }
        slide.finalSent = true;
        fx.alerts.add(rule.alert(BlastAlert.Stage.FINAL, facts(s, slide), slide.blasts, now));
    }

    private BlastRule.SlideFacts facts(Specimen s, Slide slide) {
        return new BlastRule.SlideFacts(s.id, slide.slideId, slide.classified.size(), slide.lost.size(),
                policy.blastThreshold(), s.cbc == null ? List.of() : s.cbc.blastFlags(), s.cbc != null,
                slide.modelVersion);
    }

    private void closeIfDone(Specimen s, Effects fx, Instant now) {
        if (s.cbc != null && !s.slides.isEmpty() && s.slides.values().stream().allMatch(Slide::done)) {
            close(s, fx);
        }
    }

    private void close(Specimen s, Effects fx) {
        open.remove(s.id);
        List<String> reasons = new ArrayList<>(s.extraReasons);
        if (s.cbc == null) {
            reasons.add("no-cbc");
        }
        if (s.slides.isEmpty()) {
            reasons.add("no-smear");
        }
        List<CellResult> cells = new ArrayList<>();
        List<SpecimenClosed.SlideSummary> summaries = new ArrayList<>();
        for (Slide slide : s.slides.values()) {
            if (!slide.completed()) {
                reasons.add("slide " + slide.slideId + " not completed by the scanner");
            } else if (slide.received.size() < slide.expectedCells) {
                reasons.add("slide " + slide.slideId + ": " + (slide.expectedCells - slide.received.size())
                        + " of " + slide.expectedCells + " cells never arrived");
            }
            if (!slide.lost.isEmpty()) {
                reasons.add("slide " + slide.slideId + ": " + slide.lost.size() + " cells lost (refused images)");
            }
            if (slide.pending() > 0) {
                reasons.add("slide " + slide.slideId + ": " + slide.pending() + " cells never classified");
            }
            cells.addAll(slide.cellsInCaptureOrder());
            summaries.add(slide.summary());
        }
        closed.put(s.id, SpecimenState.closedMarker(s.id, s.partition, s.firstSeen, List.copyOf(s.slides.keySet())));
        changed.put(s.id, Boolean.TRUE);
        SpecimenClosed.Completeness completeness = reasons.isEmpty() ? SpecimenClosed.Completeness.COMPLETE
                : SpecimenClosed.Completeness.PARTIAL;
        fx.closed.add(new SpecimenClosed(s.id, completeness, reasons, List.copyOf(s.origins), s.cbc, summaries, cells));
        if (s.cbc != null || !cells.isEmpty()) {
            fx.scores.add(new Effects.ScoreRequest(DiagnosticScore.scoreId(s.id, DiagnosticScore.Stage.FINAL), s.id,
                    DiagnosticScore.Stage.FINAL, s.cbc, cells, completeness.wireName(), reasons));
        }
    }

    /** One open specimen. */
    private static final class Specimen {
        final String id;
        final int partition;
        final Instant firstSeen;
        final Map<String, Slide> slides = new LinkedHashMap<>();
        final List<RecordOrigin> origins = new ArrayList<>();
        final List<String> extraReasons = new ArrayList<>();
        CbcResult cbc;
        Instant cbcScoredAt;
        Instant lastActivity;

        Specimen(String id, int partition, Instant now) {
            this.id = id;
            this.partition = partition;
            this.firstSeen = now;
            this.lastActivity = now;
        }

        Slide slide(String slideId) {
            return slides.computeIfAbsent(slideId, Slide::new);
        }

        void hold(RecordOrigin origin) {
            origins.add(origin);
        }
    }
}
