package org.hemastream.ingest;

import io.vertx.core.Vertx;
import org.hemastream.events.CellImage;
import org.hemastream.events.ErrorCode;
import org.hemastream.inference.BatchClassifier;
import org.hemastream.inference.CellBatcher;
import org.hemastream.inference.CellOutcome;
import org.hemastream.observability.ServiceMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The classification stage: cells in, outcomes out. Batches cells with the {@link CellBatcher} (a batch
 * leaves when full or when its oldest cell waited {@code maxBatchDelay}; at once while {@linkplain
 * #flushing flushing} for a commit), runs at most {@code sessions} batches on the worker pool, and keeps
 * cells beyond {@code highMark} in a backlog. Outcomes go to one consumer, on the event loop, then
 * {@code batchDone} runs once per batch (the cells count as in flight until then). Used from
 * the ingest verticle's event loop only.
 */
final class CellDispatcher {

    private static final Logger log = LoggerFactory.getLogger(CellDispatcher.class);

    private final Vertx vertx;
    private final WorkerPool workers;
    private final BatchClassifier classifier;
    private final ServiceMetrics metrics;
    private final CellBatcher<CellImage> batcher;
    private final int sessions;
    private final int highMark;
    private final Consumer<CellOutcome> outcomes;
    private final Runnable batchDone;
    private final ArrayDeque<CellImage> backlog = new ArrayDeque<>();
    private int inFlight;
    private int busySessions;
    private long batchTimer = -1;
    private int maxInFlight;
    private boolean flushing;

    CellDispatcher(Vertx vertx, WorkerPool workers, BatchClassifier classifier, ServiceMetrics metrics, int maxBatch,
                   Duration maxBatchDelay, int sessions, int highMark, Consumer<CellOutcome> outcomes, Runnable batchDone) {
        this.vertx = vertx;
        this.workers = workers;
        this.classifier = classifier;
        this.metrics = metrics;
        this.batcher = new CellBatcher<>(maxBatch, maxBatchDelay);
        this.sessions = sessions;
        this.highMark = highMark;
        this.outcomes = outcomes;
        this.batchDone = batchDone;
    }

    void submit(CellImage cell) {
        if (inFlight < highMark) {
            enqueue(cell);
        } else {
            backlog.addLast(cell);
        }
    }

    /** While flushing, batches leave without waiting for their delay (a commit waits for them). */
    void flushing(boolean on) {
        flushing = on;
        if (on) {
            dispatch();
        }
    }

    /** Cells queued, on the worker pool, or in the backlog. */
    int load() {
        return inFlight + backlog.size();
    }

    int inFlight() {
        return inFlight;
    }

    int backlog() {
        return backlog.size();
    }

    int maxInFlight() {
        return maxInFlight;
    }

    /** Forgets queued cells that match (their specimens were dropped); running batches finish and are ignored. */
    void drop(Predicate<CellImage> dropped) {
        inFlight -= batcher.removeIf(dropped).size();
        backlog.removeIf(dropped);
    }

    void dispatch() {
        if (workers.stopping()) {
            return;
        }
        while (busySessions < sessions) {
            long now = System.nanoTime();
            List<CellBatcher.Queued<CellImage>> batch = batcher.takeReady(flushing ? now + TimeUnit.HOURS.toNanos(1) : now);
            if (batch.isEmpty()) {
                break;
            }
            busySessions++;
            List<CellImage> cells = new ArrayList<>(batch.size());
            for (CellBatcher.Queued<CellImage> q : batch) {
                metrics.queued(now - q.enqueuedNanos());
                cells.add(q.item());
            }
            workers.run(() -> {
                long t0 = System.nanoTime();
                List<CellOutcome> result = classifier.classify(cells);
                metrics.batch(cells.size(), System.nanoTime() - t0);
                return result;
            }).onComplete(ar -> {
                busySessions--;
                // The batch counts as in flight until all its outcomes are applied: a commit seals only when
                // nothing is in flight, and must not seal between two outcomes of one batch.
                if (ar.succeeded()) {
                    ar.result().forEach(outcomes);
                } else if (!workers.stopping()) {
                    log.error("classifying a batch of {} cells failed: {}", cells.size(), ar.cause().toString());
                    cells.forEach(c -> outcomes.accept(new CellOutcome.Refused(c, ErrorCode.PROCESSING_FAILED,
                            "classification failed: " + ar.cause())));
                }
                inFlight -= cells.size();
                while (!backlog.isEmpty() && inFlight < highMark) {
                    enqueue(backlog.pollFirst());
                }
                batchDone.run();
                dispatch();
            });
        }
        scheduleBatchTimer();
    }

    private void enqueue(CellImage cell) {
        batcher.add(cell, System.nanoTime());
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
    }

    private void scheduleBatchTimer() {
        long due = batcher.nanosUntilDue(System.nanoTime());
        if (due < 0 || batchTimer >= 0 || busySessions >= sessions) {
            return;
        }
        batchTimer = vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(due)), id -> {
            batchTimer = -1;
            dispatch();
        });
    }
}
