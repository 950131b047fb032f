package org.hemastream.ingest;

import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.consumer.OffsetAndMetadata;
import org.hemastream.alerts.BlastRule;
import org.hemastream.config.ServiceConfig;
import org.hemastream.diagnosis.DiagnosticScorer;
import org.hemastream.events.BlastAlert;
import org.hemastream.events.CbcResult;
import org.hemastream.events.CellImage;
import org.hemastream.events.CellResult;
import org.hemastream.events.DiagnosticScore;
import org.hemastream.events.ErrorCode;
import org.hemastream.events.EventReader;
import org.hemastream.events.EventSchemas;
import org.hemastream.events.ReadResult;
import org.hemastream.events.RecordOrigin;
import org.hemastream.events.SlideComplete;
import org.hemastream.inference.BatchClassifier;
import org.hemastream.inference.CellBatcher;
import org.hemastream.inference.CellOutcome;
import org.hemastream.observability.HttpVerticle;
import org.hemastream.observability.ServiceMetrics;
import org.hemastream.publish.OutputPublisher;
import org.hemastream.specimen.Effects;
import org.hemastream.specimen.SpecimenBook;
import org.hemastream.specimen.SpecimenClosed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The shell around the pure core: consumes {@code lab.cbc.results} and {@code lab.cell.captures} (range
 * assignment, auto-commit off, a new group from the earliest offsets), reads and validates each record,
 * feeds the {@link SpecimenBook}, batches cells with the {@link CellBatcher} onto a named worker pool
 * ({@code executeBlocking(…, false)}), publishes cell results, blast alerts and dead letters, and commits
 * only offsets the {@link OffsetLedger} says no open specimen still needs.
 *
 * <p>Diagnostic scores: a {@code cbc-only} score when a specimen's (latest) CBC arrives and a
 * {@code final} score when it closes, each computed on the worker pool by the {@link DiagnosticScorer}.
 * A specimen's scores are chained — the next is computed only once the previous one is acknowledged — so
 * they reach {@code hema.diagnostic-scores} in order; their sends hold the specimen's offsets like its
 * alerts do. A score that cannot be computed is logged and counted, never holds offsets back.
 *
 * <p>Backpressure: cells in flight (batcher queue + worker pool) never exceed {@code flow.highMark};
 * beyond it cells wait in a backlog and the assigned partitions — not the stream — are paused until the
 * load falls to {@code flow.lowMark}; pausing is re-applied after every rebalance. On revocation it
 * commits what is safe and drops the revoked partitions' specimens. Everything runs on this verticle's
 * event loop except classification.
 */
public final class SpecimenConsumerVerticle extends VerticleBase {

    private static final Logger log = LoggerFactory.getLogger(SpecimenConsumerVerticle.class);

    /** Backpressure counters, for tests and the load report. */
    public record FlowStats(int maxInFlight, int pauses, int resumes, int inFlight, int backlog) {
    }

    private record Pending(RecordOrigin origin, byte[] raw) {
    }

    private final ServiceConfig config;
    private final BatchClassifier classifier;
    private final ServiceMetrics metrics;
    private final DiagnosticScorer scorer;

    private EventReader reader;
    private SpecimenBook book;
    private CellBatcher<CellImage> batcher;
    private OutputPublisher publisher;
    private WorkerExecutor workers;
    private KafkaConsumer<String, byte[]> consumer;
    private KafkaClientMetrics consumerMetrics;
    private KafkaClientMetrics producerMetrics;
    private final OffsetLedger ledger = new OffsetLedger();
    private final Set<TopicPartition> assigned = new HashSet<>();
    private final ArrayDeque<CellImage> backlog = new ArrayDeque<>();
    private final Map<String, Pending> cellRecords = new HashMap<>();
    private final Map<String, List<Future<?>>> sendsBySpecimen = new HashMap<>();
    /** The last score send of each specimen: the next score waits for it (cbc-only before final). */
    private final Map<String, Future<?>> scoreChains = new HashMap<>();
    /** Blocking tasks on the worker pool (inference batches, scores): stop() waits for them before the models close. */
    private final Set<Future<?>> running = new HashSet<>();
    private boolean stopping;
    private int inFlight;
    private int busySessions;
    private boolean paused;
    private long batchTimer = -1;
    private int maxInFlight;
    private int pauses;
    private int resumes;
    private volatile boolean everAssigned;
    private volatile int assignedCount;

    /** @param scorer the diagnostic scorer, already checked against the cell model */
    public SpecimenConsumerVerticle(ServiceConfig config, BatchClassifier classifier, ServiceMetrics metrics,
                                    DiagnosticScorer scorer) {
        this.config = config;
        this.classifier = classifier;
        this.metrics = metrics;
        this.scorer = scorer;
    }

    @Override
    public Future<?> start() {
        ServiceConfig.TopicsConfig topics = config.topics();
        EventSchemas schemas = new EventSchemas();
        reader = new EventReader(schemas, Map.of(topics.cbc(), Set.of("cbc-result"),
                topics.captures(), Set.of("cell-image", "slide-complete")), config.inference().maxImageBytes());
        BlastRule rule = BlastRule.resolve(classifier.metadata().slideAlertRule(), config.alerts().minBlastCells(),
                config.alerts().minBlastFraction(), config.alerts().promyelocyteExcessFraction());
        log.info("slide alert rule in force: {}; blast threshold {}", rule, classifier.blastThreshold());
        book = new SpecimenBook(new SpecimenBook.Policy(config.specimen().maxIdle(), classifier.blastThreshold(),
                config.specimen().recentlyClosed()), rule);
        batcher = new CellBatcher<>(config.inference().maxBatch(), config.inference().maxBatchDelay());
        workers = vertx.createSharedWorkerExecutor("hemastream-inference", config.inference().sessions(),
                5, TimeUnit.MINUTES);
        metrics.bindState(() -> book.openSpecimens(), () -> inFlight + backlog.size());

        // Creating Kafka clients loads classes and parses config: do it on a worker, not on the event loop.
        return vertx.executeBlocking(() -> new Object[]{
                        schemas.warmUp(),
                        new org.apache.kafka.clients.consumer.KafkaConsumer<String, byte[]>(new HashMap<String, Object>(consumerProperties())),
                        OutputPublisher.createNative(config)}, false)
                .compose(clients -> {
                    @SuppressWarnings("unchecked")
                    var nativeConsumer = (org.apache.kafka.clients.consumer.Consumer<String, byte[]>) clients[1];
                    @SuppressWarnings("unchecked")
                    var nativeProducer = (org.apache.kafka.clients.producer.Producer<String, byte[]>) clients[2];
                    return subscribe(nativeConsumer, nativeProducer);
                });
    }

    private Future<Void> subscribe(org.apache.kafka.clients.consumer.Consumer<String, byte[]> nativeConsumer,
                                   org.apache.kafka.clients.producer.Producer<String, byte[]> nativeProducer) {
        ServiceConfig.TopicsConfig topics = config.topics();
        publisher = new OutputPublisher(vertx, config, nativeProducer);
        consumer = KafkaConsumer.create(vertx, nativeConsumer);
        consumerMetrics = new KafkaClientMetrics(consumer.unwrap());
        consumerMetrics.bindTo(metrics.registry());
        producerMetrics = new KafkaClientMetrics(publisher.unwrap());
        producerMetrics.bindTo(metrics.registry());
        consumer.partitionsAssignedHandler(this::onAssigned);
        consumer.partitionsRevokedHandler(this::onRevoked);
        consumer.exceptionHandler(e -> {
            if (e instanceof org.apache.kafka.common.errors.WakeupException) {
                log.debug("consumer woken up (closing)");
            } else {
                log.error("kafka consumer error: {}", e.toString());
            }
        });
        consumer.handler(this::onRecord);
        vertx.setPeriodic(config.flow().commitInterval().toMillis(), id -> commitSafe());
        long expiryEvery = Math.max(1000, Math.min(10_000, config.specimen().maxIdle().toMillis() / 4));
        vertx.setPeriodic(expiryEvery, id -> apply(book.expire(Instant.now()), null));
        return consumer.subscribe(Set.of(topics.cbc(), topics.captures()))
                .onSuccess(v -> log.info("subscribed to {} and {} as group {} (model {}, blast threshold {}, "
                                + "diagnostic model {})", topics.cbc(), topics.captures(), config.kafka().groupId(),
                        classifier.modelVersion(), classifier.blastThreshold(), scorer.model().version()));
    }

    /**
     * Stops taking input, waits for the batches and scores running on the worker pool (the ONNX and
     * LightGBM models are closed after this verticle: a task still running then would crash the JVM) and
     * for the outputs in flight, commits what is safe, then closes the clients.
     */
    @Override
    public Future<?> stop() {
        stopping = true;
        if (consumer != null && !assigned.isEmpty()) {
            consumer.pause(Set.copyOf(assigned));
        }
        if (consumerMetrics != null) {
            consumerMetrics.close();
            producerMetrics.close();
        }
        return Future.join(new ArrayList<>(running))
                .transform(ar -> {
                    List<Future<?>> sends = new ArrayList<>();
                    sendsBySpecimen.values().forEach(sends::addAll);
                    return Future.join(sends);
                })
                .transform(ar -> commitSafe())
                .transform(ar -> consumer.close())
                .transform(ar -> publisher.close())
                .transform(ar -> workers.close());
    }

    private Map<String, String> consumerProperties() {
        Map<String, String> props = new HashMap<>(config.kafka().clientSettings());
        props.put("bootstrap.servers", config.kafka().bootstrapServers());
        props.put("group.id", config.kafka().groupId());
        props.put("key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
        props.put("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        props.put("enable.auto.commit", "false");
        props.putIfAbsent("auto.offset.reset", "earliest");
        // Partition i of both input topics must land on the same instance: range assignment.
        props.put("partition.assignment.strategy", "org.apache.kafka.clients.consumer.RangeAssignor");
        props.putIfAbsent("max.poll.records", "100");
        props.putIfAbsent("client.id", "hemastream-ingest");
        props.putIfAbsent("max.partition.fetch.bytes", String.valueOf(Math.max(1_048_576, config.deadLetters().maxMessageBytes())));
        return props;
    }

    // ------------------------------------------------------------------------------------------ input

    private void onRecord(KafkaConsumerRecord<String, byte[]> rec) {
        RecordOrigin origin = new RecordOrigin(rec.topic(), rec.partition(), rec.offset(), rec.timestamp(), rec.key());
        ledger.hold(origin);
        byte[] raw = rec.value();
        ReadResult result;
        try {
            result = reader.read(rec.topic(), rec.key(), raw);
        } catch (RuntimeException e) {
            log.error("reading {}-{}@{} failed: {}", rec.topic(), rec.partition(), rec.offset(), e.toString());
            result = new ReadResult.Rejected(ErrorCode.PROCESSING_FAILED, e.toString(), null);
        }
        if (result instanceof ReadResult.Rejected r) {
            deadLetter(r.code(), r.message(), r.specimenId(), origin, raw, null);
            return;
        }
        Instant now = Instant.now();
        Effects fx;
        Object event = ((ReadResult.Accepted) result).event();
        if (event instanceof CbcResult cbc) {
            fx = book.cbc(cbc, origin, now);
            scoreCbcOnly(cbc, fx);
        } else if (event instanceof SlideComplete done) {
            fx = book.slideComplete(done, origin, now);
        } else {
            CellImage cell = (CellImage) event;
            fx = book.cell(cell, origin, now);
            if (!fx.toClassify().isEmpty()) {
                cellRecords.put(cellKey(cell.specimenId(), cell.slideId(), cell.cellId()), new Pending(origin, raw));
            }
        }
        apply(fx, raw);
    }

    /** Carries out what the book decided. {@code raw} is the current record's value (for dead letters). */
    private void apply(Effects fx, byte[] raw) {
        Instant now = Instant.now();
        for (CellImage cell : fx.toClassify()) {
            if (inFlight < config.flow().highMark()) {
                submit(cell);
            } else {
                backlog.addLast(cell);
            }
        }
        for (int i = 0; i < fx.duplicates(); i++) {
            metrics.duplicateCell();
        }
        fx.released().forEach(ledger::release);
        for (Effects.Rejection r : fx.rejections()) {
            deadLetter(r.code(), r.message(), r.specimenId(), r.origin(), raw, null);
        }
        for (BlastAlert alert : fx.alerts()) {
            Instant confirming = alert.blastCells().stream().map(BlastAlert.BlastCell::capturedAt)
                    .filter(java.util.Objects::nonNull).max(Instant::compareTo).orElse(null);
            track(alert.specimenId(), publisher.blastAlert(alert).onSuccess(m -> metrics.alert(alert.stage().wireName(),
                    confirming == null ? null : Duration.between(confirming, Instant.now()))));
            log.info("blast alert {} specimen {} slide {}: {} blasts of {} cells", alert.stage().wireName(),
                    alert.specimenId(), alert.slideId(), alert.blastCount(), alert.classifiedCells());
        }
        for (SpecimenClosed closed : fx.closed()) {
            onClosed(closed);
        }
        flow();
        dispatch();
    }

    private void onClosed(SpecimenClosed closed) {
        metrics.specimenClosed(closed.completeness().wireName());
        if (closed.cbc() != null || !closed.cells().isEmpty()) {
            score(closed.specimenId(), DiagnosticScore.Stage.FINAL, closed.cbc(), closed.cells(),
                    closed.completeness().wireName(), closed.reasons());
        }
        List<Future<?>> sends = sendsBySpecimen.remove(closed.specimenId());
        Future<?> all = sends == null ? Future.succeededFuture() : Future.all(sends);
        all.onComplete(ar -> {
            if (ar.succeeded()) {
                closed.origins().forEach(ledger::release);
            } else if (stopping) {
                log.info("specimen {} closed while stopping; its outputs are re-derived after a restart", closed.specimenId());
            } else {
                // Not releasing keeps the commit behind this specimen: a restart re-derives its outputs.
                log.error("outputs of specimen {} not acknowledged ({}); its offsets stay uncommitted",
                        closed.specimenId(), ar.cause().toString());
            }
        });
        if (closed.completeness() == SpecimenClosed.Completeness.PARTIAL) {
            log.info("specimen {} closed partial: {}", closed.specimenId(), closed.reasons());
        } else {
            log.info("specimen {} complete: {} cells", closed.specimenId(), closed.cells().size());
        }
    }

    private void deadLetter(ErrorCode code, String message, String specimenId, RecordOrigin origin, byte[] raw,
                            String holdingSpecimen) {
        metrics.deadLetter(code.name());
        log.warn("dead letter {} from {}-{}@{}: {}", code, origin.topic(), origin.partition(), origin.offset(), message);
        Future<?> sent = publisher.deadLetter(code, message, specimenId, origin, raw);
        if (holdingSpecimen != null) {
            track(holdingSpecimen, sent);
        } else {
            sent.onComplete(ar -> {
                if (ar.succeeded()) {
                    ledger.release(origin);
                } else {
                    log.error("dead letter for {}-{}@{} not acknowledged: {}; offset stays uncommitted",
                            origin.topic(), origin.partition(), origin.offset(), ar.cause().toString());
                }
            });
        }
    }

    /** Scores a CBC the book kept as the specimen's current one (an older rerun it ignored is not scored). */
    private void scoreCbcOnly(CbcResult cbc, Effects fx) {
        CbcResult current = fx.closed().stream().filter(c -> c.specimenId().equals(cbc.specimenId()))
                .map(SpecimenClosed::cbc).findFirst().orElseGet(() -> book.currentCbc(cbc.specimenId()));
        if (current == cbc) {
            score(cbc.specimenId(), DiagnosticScore.Stage.CBC_ONLY, cbc, List.of(), "open", List.of());
        }
    }

    /**
     * Computes a score on the worker pool once the specimen's previous score is acknowledged, publishes it
     * and tracks the send. A scoring failure (a bug, not bad input) is logged and counted and publishes
     * nothing; only a send the broker does not acknowledge holds the specimen's offsets back.
     */
    private void score(String specimenId, DiagnosticScore.Stage stage, CbcResult cbc, List<CellResult> cells,
                       String state, List<String> reasons) {
        Future<?> previous = scoreChains.getOrDefault(specimenId, Future.succeededFuture());
        Future<?> sent = previous.transform(ar -> blocking(
                        () -> scorer.score(specimenId, stage, cbc, cells, state, reasons, Instant.now())))
                .transform(ar -> {
                    if (ar.failed() && stopping) {
                        // not published: the specimen's offsets stay uncommitted and a restart scores it again
                        return Future.failedFuture(ar.cause());
                    }
                    if (ar.failed()) {
                        metrics.diagnosticScoreFailed(stage.wireName());
                        log.error("diagnostic score {} of specimen {} failed: {}", stage.wireName(), specimenId,
                                ar.cause().toString());
                        return Future.succeededFuture();
                    }
                    DiagnosticScore s = ar.result();
                    return publisher.diagnosticScore(s).onSuccess(m -> {
                        metrics.diagnosticScore(stage.wireName());
                        log.debug("diagnostic score {} specimen {}: {}", stage.wireName(), specimenId,
                                s.leading().isEmpty() ? "-" : s.leading().get(0).diagnosis() + " "
                                        + String.format(java.util.Locale.ROOT, "%.3f", s.leading().get(0).probability()));
                    });
                });
        scoreChains.put(specimenId, sent);
        sent.onComplete(ar -> scoreChains.remove(specimenId, sent));
        track(specimenId, sent);
    }

    /** Remembers a send whose acknowledgement the specimen's offsets wait for (see {@link #onClosed}). */
    private void track(String specimenId, Future<?> send) {
        sendsBySpecimen.computeIfAbsent(specimenId, k -> new ArrayList<>()).add(send);
    }

    // ---------------------------------------------------------------------------- batching, workers

    private void submit(CellImage cell) {
        batcher.add(cell, System.nanoTime());
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
    }

    /** Runs blocking work on the inference pool (unordered), remembered until done; refused once stopping. */
    private <T> Future<T> blocking(java.util.concurrent.Callable<T> task) {
        if (stopping) {
            return Future.failedFuture(new IllegalStateException("stopping"));
        }
        Future<T> f = workers.executeBlocking(task, false);
        running.add(f);
        f.onComplete(ar -> running.remove(f));
        return f;
    }

    private void dispatch() {
        if (stopping) {
            return;
        }
        while (busySessions < config.inference().sessions()) {
            long now = System.nanoTime();
            List<CellBatcher.Queued<CellImage>> batch = batcher.takeReady(now);
            if (batch.isEmpty()) {
                break;
            }
            busySessions++;
            List<CellImage> cells = new ArrayList<>(batch.size());
            for (CellBatcher.Queued<CellImage> q : batch) {
                metrics.queued(now - q.enqueuedNanos());
                cells.add(q.item());
            }
            blocking(() -> {
                long t0 = System.nanoTime();
                List<CellOutcome> outcomes = classifier.classify(cells);
                metrics.batch(cells.size(), System.nanoTime() - t0);
                return outcomes;
            }).onComplete(ar -> {
                busySessions--;
                inFlight -= cells.size();
                if (ar.succeeded()) {
                    ar.result().forEach(this::onOutcome);
                } else {
                    log.error("classifying a batch of {} cells failed: {}", cells.size(), ar.cause().toString());
                    cells.forEach(c -> onOutcome(new CellOutcome.Refused(c, ErrorCode.PROCESSING_FAILED,
                            "classification failed: " + ar.cause())));
                }
                while (!backlog.isEmpty() && inFlight < config.flow().highMark()) {
                    submit(backlog.pollFirst());
                }
                flow();
                dispatch();
            });
        }
        scheduleBatchTimer();
    }

    private void scheduleBatchTimer() {
        long due = batcher.nanosUntilDue(System.nanoTime());
        if (due < 0 || batchTimer >= 0 || busySessions >= config.inference().sessions()) {
            return;
        }
        batchTimer = vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(due)), id -> {
            batchTimer = -1;
            dispatch();
        });
    }

    private void onOutcome(CellOutcome outcome) {
        CellImage cell = outcome.cell();
        Pending pending = cellRecords.remove(cellKey(cell.specimenId(), cell.slideId(), cell.cellId()));
        if (!book.isOpen(cell.specimenId())) {
            return; // its partition was revoked meanwhile: the new owner classifies it again
        }
        Instant now = Instant.now();
        if (outcome instanceof CellOutcome.Classified c) {
            metrics.cellClassified(c.result().cellType(), Duration.between(cell.capturedAt(), now));
            track(cell.specimenId(), publisher.cellResult(c.result()));
            apply(book.classified(c.result(), now), null);
        } else if (outcome instanceof CellOutcome.Refused r) {
            if (pending != null) {
                deadLetter(r.code(), r.message(), cell.specimenId(), pending.origin(), pending.raw(), cell.specimenId());
            }
            apply(book.lost(cell.specimenId(), cell.slideId(), cell.cellId(), now), null);
        }
    }

    // ------------------------------------------------------------------------------ flow, offsets

    private void flow() {
        int load = inFlight + backlog.size();
        if (!paused && load >= config.flow().highMark()) {
            paused = true;
            pauses++;
            consumer.pause(Set.copyOf(assigned));
            metrics.pausedPartitions(assigned.size());
            log.info("{} cells in flight: pausing {} partitions", load, assigned.size());
        } else if (paused && load <= config.flow().lowMark()) {
            paused = false;
            resumes++;
            consumer.resume(Set.copyOf(assigned));
            metrics.pausedPartitions(0);
            log.info("{} cells in flight: resuming {} partitions", load, assigned.size());
        }
    }

    private Future<Void> commitSafe() {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition tp : assigned) {
            OffsetLedger.Partition p = new OffsetLedger.Partition(tp.getTopic(), tp.getPartition());
            ledger.committable(p).ifPresent(o -> offsets.put(tp, new OffsetAndMetadata(o, "")));
        }
        if (offsets.isEmpty() || consumer == null) {
            return Future.succeededFuture();
        }
        return consumer.commit(offsets).onSuccess(v -> offsets.forEach((tp, om) -> ledger.markCommitted(
                        new OffsetLedger.Partition(tp.getTopic(), tp.getPartition()), om.getOffset())))
                .onFailure(e -> {
                    if (!(e instanceof org.apache.kafka.common.errors.WakeupException)) {
                        log.warn("commit failed: {}", e.toString());
                    }
                }).mapEmpty();
    }

    private void onAssigned(Set<TopicPartition> partitions) {
        assigned.addAll(partitions);
        assignedCount = assigned.size();
        everAssigned = true;
        if (paused) {
            consumer.pause(partitions); // re-apply backpressure after the rebalance
            metrics.pausedPartitions(assigned.size());
        }
        log.info("assigned {} partitions: {}", partitions.size(), describe(partitions));
    }

    private void onRevoked(Set<TopicPartition> partitions) {
        commitSafe();
        Set<String> lost = new HashSet<>();
        for (TopicPartition tp : partitions) {
            lost.add(tp.getTopic() + "/" + tp.getPartition());
        }
        List<String> dropped = book.drop(o -> lost.contains(o.topic() + "/" + o.partition()));
        Set<String> droppedSet = new HashSet<>(dropped);
        List<CellImage> unqueued = batcher.removeIf(c -> droppedSet.contains(c.specimenId()));
        inFlight -= unqueued.size();
        backlog.removeIf(c -> droppedSet.contains(c.specimenId()));
        dropped.forEach(sendsBySpecimen::remove);
        dropped.forEach(scoreChains::remove);
        cellRecords.keySet().removeIf(k -> droppedSet.contains(k.substring(0, k.indexOf('\u0000'))));
        for (TopicPartition tp : partitions) {
            ledger.forget(new OffsetLedger.Partition(tp.getTopic(), tp.getPartition()));
        }
        assigned.removeAll(partitions);
        assignedCount = assigned.size();
        log.info("revoked {} partitions: {}; dropped {} open specimens", partitions.size(), describe(partitions),
                dropped.size());
        flow();
    }

    private static String describe(Set<TopicPartition> partitions) {
        return partitions.stream().map(tp -> tp.getTopic() + "-" + tp.getPartition()).sorted().toList().toString();
    }

    private static String cellKey(String specimenId, String slideId, String cellId) {
        return specimenId + '\u0000' + slideId + '\u0000' + cellId;
    }

    /** Readiness for {@code /health/ready}: input partitions assigned (the model is loaded before deployment). */
    public HttpVerticle.Readiness readiness() {
        boolean ready = everAssigned && assignedCount > 0;
        return new HttpVerticle.Readiness(ready, new JsonObject()
                .put("modelVersion", classifier.modelVersion())
                .put("diagnosticModelVersion", scorer.model().version())
                .put("assignedPartitions", assignedCount)
                .put("checks", new JsonArray().add(new JsonObject().put("name", "model").put("status", "UP"))
                        .add(new JsonObject().put("name", "partitions").put("status", ready ? "UP" : "DOWN"))));
    }

    /** Backpressure counters (call from the verticle's context or accept a racy snapshot). */
    public FlowStats flowStats() {
        return new FlowStats(maxInFlight, pauses, resumes, inFlight, backlog.size());
    }
}
