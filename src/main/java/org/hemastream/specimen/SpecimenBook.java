package org.hemastream.specimen;

import org.hemastream.alerts.BlastRule;
import org.hemastream.events.BlastAlert;
import org.hemastream.events.BlastAlert.BlastCell;
import org.hemastream.events.CbcResult;
import org.hemastream.events.CellImage;
import org.hemastream.events.CellResult;
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
import java.util.function.Predicate;

/**
 * The open specimens of this instance and their lifecycle: open → cells pending → complete, or
 * expired as partial after {@code maxIdle} without news. Joins a specimen's CBC and its smears, decides
 * which cells need classifying (duplicates ignored), applies the {@link BlastRule} as results come in,
 * and remembers which input records each open specimen still needs (so their offsets are not
 * committed). Pure state: no I/O, no Vert.x or Kafka types; not thread-safe — the ingest verticle calls
 * it from its event loop only.
 *
 * <p>A specimen completes when its CBC has arrived and every slide it has is complete (the scanner's
 * {@code slide-complete} seen and every received cell classified or lost). A CBC without a smear, or a
 * smear without a CBC, waits up to {@code maxIdle} for the other and then closes as partial.
 */
public final class SpecimenBook {

    /**
     * @param maxIdle          how long a specimen may go without any event before it expires as partial
     * @param blastThreshold   the model's shipped P(blast) threshold (reported in alerts)
     * @param recentlyClosed   how many closed slides to remember, to refuse late cells for them
     */
    public record Policy(Duration maxIdle, double blastThreshold, int recentlyClosed) {
    }

    private final Policy policy;
    private final BlastRule rule;
    private final Map<String, Specimen> open = new LinkedHashMap<>();
    private final Map<String, Boolean> closedSlides = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > policy.recentlyClosed();
        }
    };

    public SpecimenBook(Policy policy, BlastRule rule) {
        this.policy = policy;
        this.rule = rule;
    }

    /** A CBC result: a later measurement replaces an earlier one; an older rerun is ignored. */
    public Effects cbc(CbcResult cbc, RecordOrigin origin, Instant now) {
        Effects fx = new Effects();
        Specimen s = specimen(cbc.specimenId(), now);
        s.hold(origin);
        if (s.cbc == null || !cbc.measuredAt().isBefore(s.cbc.measuredAt())) {
            s.cbc = cbc;
        }
        closeIfDone(s, fx, now);
        return fx;
    }

    /** A cell image: new cells go to classification; a repeated cell ID is ignored. */
    public Effects cell(CellImage cell, RecordOrigin origin, Instant now) {
        Effects fx = new Effects();
        if (closedSlides.containsKey(slideKey(cell.specimenId(), cell.slideId()))) {
            fx.rejections.add(new Effects.Rejection(origin, cell.specimenId(), ErrorCode.LATE_CELL,
                    "cell " + cell.cellId() + " arrived after slide " + cell.slideId() + " completed"));
            return fx;
        }
        Specimen s = specimen(cell.specimenId(), now);
        Slide slide = s.slide(cell.slideId());
        if (slide.completed() || !slide.add(cell)) {
            if (slide.completed() && !slide.received.containsKey(cell.cellId())) {
                fx.rejections.add(new Effects.Rejection(origin, cell.specimenId(), ErrorCode.LATE_CELL,
                        "cell " + cell.cellId() + " arrived after slide " + cell.slideId() + " completed"));
            } else {
                fx.duplicates++;
                fx.released.add(origin);
            }
            return fx;
        }
        s.hold(origin);
        fx.toClassify.add(cell);
        return fx;
    }

    /** The scanner finished a slide: once its cells are all classified, the final alert is due. */
    public Effects slideComplete(SlideComplete done, RecordOrigin origin, Instant now) {
        Effects fx = new Effects();
        if (closedSlides.containsKey(slideKey(done.specimenId(), done.slideId()))) {
            fx.duplicates++;
            fx.released.add(origin);
            return fx;
        }
        Specimen s = specimen(done.specimenId(), now);
        s.hold(origin);
        Slide slide = s.slide(done.slideId());
        if (!slide.completed()) {
            slide.expectedCells = done.cellCount();
        }
        finishSlideIfDone(s, slide, fx, now);
        closeIfDone(s, fx, now);
        return fx;
    }

    /** A cell's classification came back from the worker pool. Unknown cells (dropped specimens) are ignored. */
    public Effects classified(CellResult result, Instant now) {
        Effects fx = new Effects();
        Specimen s = open.get(result.specimenId());
        Slide slide = s == null ? null : s.slides.get(result.slideId());
        if (slide == null || !slide.received.containsKey(result.cellId())
                || slide.classified.containsKey(result.cellId()) || slide.lost.contains(result.cellId())) {
            return fx;
        }
        s.lastActivity = now;
        slide.classified.put(result.cellId(), result);
        slide.modelVersion = result.modelVersion();
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
        s.lastActivity = now;
        slide.lost.add(cellId);
        finishSlideIfDone(s, slide, fx, now);
        closeIfDone(s, fx, now);
        return fx;
    }

    /** Closes, as partial, every specimen idle for longer than {@code maxIdle} with no cell in flight. */
    public Effects expire(Instant now) {
        Effects fx = new Effects();
        Iterator<Specimen> it = open.values().iterator();
        List<Specimen> expired = new ArrayList<>();
        while (it.hasNext()) {
            Specimen s = it.next();
            Duration idle = Duration.between(s.lastActivity, now);
            boolean inFlight = s.slides.values().stream().anyMatch(sl -> sl.pending() > 0);
            if (idle.compareTo(policy.maxIdle()) > 0 && (!inFlight || idle.compareTo(policy.maxIdle().multipliedBy(2)) > 0)) {
                expired.add(s);
            }
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
     * Forgets the specimens holding any record that matches {@code lostPartition} (their partitions were
     * revoked: the new owner rebuilds them from the committed offsets).
     *
     * @return the IDs of the specimens dropped
     */
    public List<String> drop(Predicate<RecordOrigin> lostPartition) {
        List<String> dropped = new ArrayList<>();
        open.values().removeIf(s -> {
            boolean lost = s.origins.stream().anyMatch(lostPartition);
            if (lost) {
                dropped.add(s.id);
            }
            return lost;
        });
        return dropped;
    }

    /** Whether this instance currently tracks the specimen. */
    public boolean isOpen(String specimenId) {
        return open.containsKey(specimenId);
    }

    /** The CBC an open specimen holds now (the latest measurement), or null. */
    public CbcResult currentCbc(String specimenId) {
        Specimen s = open.get(specimenId);
        return s == null ? null : s.cbc;
    }

    public int openSpecimens() {
        return open.size();
    }

    private Specimen specimen(String id, Instant now) {
        Specimen s = open.computeIfAbsent(id, k -> new Specimen(k, now));
        s.lastActivity = now;
        return s;
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
        List<String> reasons = new ArrayList<>();
        if (s.cbc == null) {
            reasons.add("no-cbc");
        }
        if (s.slides.isEmpty()) {
            reasons.add("no-smear");
        }
        List<CellResult> cells = new ArrayList<>();
        List<SpecimenClosed.SlideSummary> summaries = new ArrayList<>();
        for (Slide slide : s.slides.values()) {
            closedSlides.put(slideKey(s.id, slide.slideId), Boolean.TRUE);
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
        fx.closed.add(new SpecimenClosed(s.id, reasons.isEmpty() ? SpecimenClosed.Completeness.COMPLETE
                : SpecimenClosed.Completeness.PARTIAL, reasons, List.copyOf(s.origins), s.cbc, summaries, cells));
    }

    private static String slideKey(String specimenId, String slideId) {
        return specimenId + "\u0000" + slideId;
    }

    /** One open specimen. */
    private static final class Specimen {
        final String id;
        final Map<String, Slide> slides = new LinkedHashMap<>();
        final List<RecordOrigin> origins = new ArrayList<>();
        CbcResult cbc;
        Instant lastActivity;

        Specimen(String id, Instant now) {
            this.id = id;
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
