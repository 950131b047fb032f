package org.hemastream.ingest;

import io.vertx.core.Future;
import org.hemastream.diagnosis.DiagnosticScorer;
import org.hemastream.events.DiagnosticScore;
import org.hemastream.specimen.Effects;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The scoring stage: score requests in, scores out. Computes each on the worker pool; a specimen's
 * scores are chained (the next starts when the previous is done) so they come out in order — its
 * {@code cbc-only} before its {@code final}. A failed computation (a bug, not bad input) comes out as a
 * null score. Used from the ingest verticle's event loop only.
 */
final class ScoreChain {

    private final WorkerPool workers;
    private final DiagnosticScorer scorer;
    /** Per request: the score, or null when it could not be computed. */
    private final BiConsumer<Effects.ScoreRequest, DiagnosticScore> scored;
    private final Runnable done;
    private final Map<String, Future<?>> chains = new HashMap<>();
    /** Requests whose scores are still wanted (identity: a dropped request's score is discarded). */
    private final Set<Effects.ScoreRequest> live = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    private int inFlight;

    /** @param done runs after each score was handed over (or discarded) */
    ScoreChain(WorkerPool workers, DiagnosticScorer scorer, BiConsumer<Effects.ScoreRequest, DiagnosticScore> scored,
               Runnable done) {
        this.done = done;
        this.workers = workers;
        this.scorer = scorer;
        this.scored = scored;
    }

    void request(Effects.ScoreRequest r) {
        Future<?> previous = chains.getOrDefault(r.specimenId(), Future.succeededFuture());
        inFlight++;
        live.add(r);
        Future<DiagnosticScore> next = previous.transform(ar -> workers.run(() -> withId(scorer.score(r.specimenId(),
                r.stage(), r.cbc(), r.cells(), r.state(), r.reasons(), Instant.now()), r.scoreId())));
        chains.put(r.specimenId(), next);
        next.onComplete(ar -> {
            boolean current = live.remove(r);
            chains.remove(r.specimenId(), next);
            if (current && !workers.stopping()) {
                scored.accept(r, ar.succeeded() ? ar.result() : null);
            }
            inFlight--; // after its output was added: a commit must not seal in between
            done.run();
        });
    }

    private static DiagnosticScore withId(DiagnosticScore s, String scoreId) {
        return scoreId.equals(s.scoreId()) ? s : new DiagnosticScore(scoreId, s.specimenId(), s.stage(), s.probabilities(),
                s.leading(), s.diagnosticModelVersion(), s.cellModelVersion(), s.completeness(), s.issuedAt());
    }

    /** Scores being computed (the commit waits for them). */
    int inFlight() {
        return inFlight;
    }

    /** Forgets the chains of dropped specimens: their scores, when they come back, are discarded. */
    void drop(Set<String> specimens) {
        specimens.forEach(chains::remove);
        live.removeIf(r -> specimens.contains(r.specimenId()));
    }

    /** Forgets every chain. */
    void dropAll() {
        chains.clear();
        live.clear();
    }
}
