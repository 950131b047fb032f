package org.hemastream.ingest;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
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
import org.hemastream.inference.CellOutcome;
import org.hemastream.observability.CpuClock;
import org.hemastream.observability.HttpVerticle;
import org.hemastream.observability.ServiceMetrics;
import org.hemastream.publish.OutputEncoder;
import org.hemastream.specimen.Effects;
import org.hemastream.specimen.SpecimenBook;
import org.hemastream.specimen.SpecimenClosed;
import org.hemastream.specimen.SpecimenState;
import org.hemastream.specimen.SpecimenStateCodec;
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
import java.util.function.IntPredicate;
import java.util.function.Supplier;

/**
 * The shell: a thin composition of stages that talk through the core's values, data flowing one way —
 * <pre>
 * KafkaLoop ─records─► read (EventReader) ─events─► SpecimenBook ─Effects─┬─ cells ─► CellDispatcher ─outcomes─► SpecimenBook
 *                                                                          ├─ scores ─► ScoreChain ─scores─┐
 *                                                                          └─ outputs, state ──────────────┴─► TransactionCycle ─units─► KafkaLoop
 * </pre>
 * Everything here runs on this verticle's event loop; Kafka I/O on the {@link KafkaLoop} thread,
 * classification and scoring on the worker pool.
 *
 * <p>Commit protocol ({@link TransactionCycle}): input is fed while the cycle admits it; at the commit
 * interval the cycle drains (input waits in {@code queue}, batches leave at once), seals a unit — the
 * outputs, the changed specimens' state and the input positions — and the loop commits it as one Kafka
 * transaction ({@code exactly_once}) or sends-until-acked then commits offsets ({@code at_least_once}).
 *
 * <p>Backpressure: cells in flight never exceed {@code flow.highMark} (beyond it they wait in the
 * dispatcher's backlog); when cells in flight plus queued input reach it, the assigned partitions are
 * paused until the load falls to {@code flow.lowMark}; re-applied after rebalances.
 */
public final class SpecimenConsumerVerticle extends VerticleBase {

    private static final Logger log = LoggerFactory.getLogger(SpecimenConsumerVerticle.class);

    /** Backpressure counters, for tests and the load report. */
    public record FlowStats(int maxInFlight, int pauses, int resumes, int inFlight, int backlog) {
    }

    /** Commit counters, for tests and the load report. */
    public record CommitStats(long committed, long aborted, long recordsCommitted) {
    }

    private record Pending(RecordOrigin origin, byte[] raw) {
    }

    private final ServiceConfig config;
    private final BatchClassifier classifier;
    private final ServiceMetrics metrics;
    private final DiagnosticScorer scorer;
    private final Map<String, Integer> inputPartitions;
    private final SpecimenStateCodec codec = new SpecimenStateCodec();
    private final LogIds logIds;

    private RecordIntake intake;
    private SpecimenBook book;
    private TransactionCycle cycle;
    private OutputEncoder encoder;
    private WorkerPool workers;
    private CellDispatcher cells;
    private ScoreChain scores;
    private KafkaLoop loop;
    private volatile AutoCloseable consumerMetrics;
    private volatile AutoCloseable producerMetrics;
    private final ArrayDeque<KafkaLoop.InputRecord> queue = new ArrayDeque<>();
    private final Set<OffsetLedger.Partition> assigned = new HashSet<>();
    private final Map<String, Pending> cellRecords = new HashMap<>();
    private boolean stopping;
    private boolean halted;
    private FlowGate gate;
    private volatile boolean everAssigned;
    private volatile int assignedCount;
    private volatile boolean brokerReachable = true;
    private volatile long oldestUncommittedMillis;
    private volatile boolean broken;
    private static final long STUCK_COMMIT_MILLIS = 5000;
    private long blockedSince = -1;
    private volatile boolean inputBlocked;
    private long committedUnits;
    private long abortedUnits;
    private long recordsCommitted;

    /**
     * @param scorer          the diagnostic scorer, already checked against the cell model
     * @param inputPartitions partition count of each input topic (for the partitioner check)
     */
    public SpecimenConsumerVerticle(ServiceConfig config, BatchClassifier classifier, ServiceMetrics metrics,
                                    DiagnosticScorer scorer, Map<String, Integer> inputPartitions) {
        this.config = config;
        this.classifier = classifier;
        this.metrics = metrics;
        this.scorer = scorer;
        this.inputPartitions = Map.copyOf(inputPartitions);
        this.logIds = LogIds.from(config.logging());
    }

    @Override
    public Future<?> start() {
        ServiceConfig.TopicsConfig topics = config.topics();
        EventSchemas schemas = new EventSchemas();
        intake = new RecordIntake(new EventReader(schemas, Map.of(topics.cbc(), Set.of("cbc-result"),
                topics.captures(), Set.of("cell-image", "slide-complete")), config.inference().maxImageBytes()),
                inputPartitions, metrics);
        ServiceConfig.SpecimenConfig sc = config.specimen();
        BlastRule rule = BlastRule.resolve(classifier.metadata().slideAlertRule(), config.alerts().minBlastCells(),
                config.alerts().minBlastFraction(), config.alerts().promyelocyteExcessFraction());
        log.info("slide alert rule in force: {}; blast threshold {}", rule, classifier.blastThreshold());
        book = new SpecimenBook(new SpecimenBook.Policy(sc.maxIdle(), classifier.blastThreshold(), sc.recentlyClosed(),
                sc.maxCellsPerSlide(), sc.maxSlides(), sc.maxAge()), rule);
        cycle = new TransactionCycle(new TransactionCycle.Policy(config.flow().commitInterval(),
                config.processing().commitRecords()));
        encoder = new OutputEncoder(config);
        gate = new FlowGate(config.flow().highMark(), config.flow().lowMark());
        workers = new WorkerPool(vertx.createSharedWorkerExecutor("hemastream-inference", config.inference().sessions(),
                5, TimeUnit.MINUTES));
        cells = new CellDispatcher(vertx, workers, classifier, metrics, config.inference().maxBatch(),
                config.inference().maxBatchDelay(), config.inference().sessions(), config.flow().highMark(), this::onOutcome,
                this::pump);
        scores = new ScoreChain(workers, scorer, this::onScored, this::pump);
        metrics.bindState(() -> book.openSpecimens(), () -> cells.load());
        metrics.bindStageCpu(classifier::decodeCpuNanos, classifier::inferenceCpuNanos);
        metrics.bindCommits(() -> oldestUncommittedMillis / 1000.0, () -> brokerReachable ? 1 : 0);
        metrics.modelInfo("cell", classifier.modelVersion());
        metrics.modelInfo("diagnosis", scorer.model().version());

        KafkaClients clients = new KafkaClients(config);
        loop = new KafkaLoop(clients.consumer(), clients.producer(), clients.restore(),
                config.processing().guarantee() == ServiceConfig.Guarantee.EXACTLY_ONCE,
                List.of(topics.cbc(), topics.captures()), topics.specimenState(), new Listener(),
                task -> context.runOnContext(v -> task.run()));
        loop.onRetried(n -> metrics.sendsRetried(n));
        loop.onClients((consumer, producer) -> {
            var cm = new io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics(consumer);
            cm.bindTo(metrics.registry());
            consumerMetrics = cm;
            var pm = new io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics(producer);
            pm.bindTo(metrics.registry());
            producerMetrics = pm;
        });
        long tickEvery = Math.max(10, Math.min(50, config.flow().commitInterval().toMillis() / 4));
        vertx.setPeriodic(tickEvery, id -> {
            long now = System.currentTimeMillis();
            oldestUncommittedMillis = cycle.oldestUncommittedMillis(now);
            watchBlocked(now);
            tick();
        });
        long expiryEvery = Math.max(1000, Math.min(10_000, config.specimen().maxIdle().toMillis() / 4));
        vertx.setPeriodic(expiryEvery, id -> expire());
        // Creating Kafka clients loads classes and parses config: the loop does it on its own thread.
        Promise<Void> started = Promise.promise();
        loop.start().whenComplete((v, e) -> context.runOnContext(x -> {
            if (e != null) {
                started.fail(e);
            } else {
                log.info("subscribed to {} and {} as group {} instance {} ({}; model {}, blast threshold {}, diagnostic model {}, assignor {})",
                        topics.cbc(), topics.captures(), config.kafka().groupId(), config.processing().instanceId(),
                        config.processing().guarantee().wireName(), classifier.modelVersion(), classifier.blastThreshold(),
                        scorer.model().version(), clients.assignor());
                started.complete();
            }
        }));
        return started.future();
    }

    /**
     * Stops taking input, finishes the work in flight, commits it as a last unit, closes the Kafka clients,
     * and waits for the worker pool (the models close after this verticle).
     */
    @Override
    public Future<?> stop() {
        stopping = true;
        if (halted) {
            return workers.stop().transform(ar -> workers.close());
        }
        Promise<Void> drained = Promise.promise();
        long deadline = System.currentTimeMillis() + 30_000;
        cells.flushing(true);
        long timer = vertx.setPeriodic(20, id -> {
            if (!brokerReachable) {
                log.warn("stopping while the broker is unreachable: uncommitted work is redone after the restart");
                drained.tryComplete();
                return;
            }
            boolean idle = cells.load() == 0 && scores.inFlight() == 0;
            if (idle && cycle.committing() == null && !cycle.broken()) {
                if (!cycle.hasContent()) {
                    drained.tryComplete();
                } else {
                    cycle.sealSoon();
                    tick();
                }
            } else if (System.currentTimeMillis() > deadline) {
                log.warn("stopping with work not committed after 30 s: it is redone after the restart");
                drained.tryComplete();
            }
        });
        return drained.future()
                .andThen(ar -> vertx.cancelTimer(timer))
                .transform(ar -> Future.fromCompletionStage(loop.close(), context))
                .transform(ar -> {
                    closeQuietly(consumerMetrics);
                    closeQuietly(producerMetrics);
                    return workers.stop();
                })
                .transform(ar -> workers.close());
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            if (c != null) {
                c.close();
            }
        } catch (Exception e) {
            log.debug("closing client metrics: {}", e.toString());
        }
    }

    /**
     * Dies as {@code kill -9} would: nothing more is committed or aborted, the Kafka clients are left as
     * zombies. For tests of recovery; returns what closes the zombie clients afterwards.
     */
    public AutoCloseable halt() {
        halted = true;
        stopping = true;
        return loop.halt();
    }

    // ------------------------------------------------------------------------------------- input

    private void pump() {
        while (!stopping && cycle.admitting() && !queue.isEmpty()) {
            feed(queue.pollFirst());
        }
        flow();
        cells.dispatch();
        tick();
    }

    private void feed(KafkaLoop.InputRecord rec) {
        RecordIntake.Read read = intake.read(rec);
        RecordOrigin origin = read.origin();
        Instant now = Instant.now();
        if (read.result() instanceof ReadResult.Rejected r) {
            deadLetter(r.code(), r.message(), r.specimenId(), origin, read.raw());
        } else {
            Object event = ((ReadResult.Accepted) read.result()).event();
            Effects fx;
            if (event instanceof CbcResult cbc) {
                fx = book.cbc(cbc, origin, now);
            } else if (event instanceof SlideComplete done) {
                fx = book.slideComplete(done, origin, now);
            } else {
                CellImage cell = (CellImage) event;
                fx = book.cell(cell, origin, now);
                if (!fx.toClassify().isEmpty()) {
                    cellRecords.put(cellKey(cell.specimenId(), cell.slideId(), cell.cellId()), new Pending(origin, read.raw()));
                }
            }
            apply(fx, read.raw(), origin.partition(), null);
        }
        cycle.fed(OffsetLedger.Partition.of(origin), origin.offset(), System.currentTimeMillis());
    }

    /**
     * Carries out what the book decided. {@code raw} is the current record's value (for dead letters);
     * {@code capture} the cell-image record of the one cell whose classification this is (its position goes into
     * the cell result: the book emits no other cell's result for it), null otherwise.
     */
    private void apply(Effects fx, byte[] raw, int partitionHint, RecordOrigin capture) {
        long nowMillis = System.currentTimeMillis();
        for (CellImage cell : fx.toClassify()) {
            cells.submit(cell);
        }
        for (int i = 0; i < fx.duplicates(); i++) {
            metrics.duplicateCell();
        }
        for (Effects.Rejection r : fx.rejections()) {
            deadLetter(r.code(), r.message(), r.specimenId(), r.origin(), raw);
        }
        for (CellResult r : fx.cellResults()) {
            output(() -> encoder.cellResult(r, partitionOf(r.specimenId(), partitionHint), capture), nowMillis);
        }
        for (BlastAlert alert : fx.alerts()) {
            output(() -> encoder.blastAlert(alert, partitionOf(alert.specimenId(), partitionHint)), nowMillis);
            Instant confirming = alert.blastCells().stream().map(BlastAlert.BlastCell::capturedAt)
                    .filter(java.util.Objects::nonNull).max(Instant::compareTo).orElse(null);
            metrics.alert(alert.stage().wireName(), confirming == null ? null : Duration.between(confirming, Instant.now()));
            log.info("blast alert {} specimen {}: {} blasts of {} cells", alert.stage().wireName(),
                    logIds.of(alert.specimenId()), alert.blastCount(), alert.classifiedCells());
        }
        for (SpecimenClosed closed : fx.closed()) {
            metrics.specimenClosed(closed.completeness().wireName());
            if (closed.completeness() == SpecimenClosed.Completeness.PARTIAL) {
                log.info("specimen {} closed partial ({} reasons)", logIds.of(closed.specimenId()), closed.reasons().size());
            } else {
                log.info("specimen {} complete: {} cells", logIds.of(closed.specimenId()), closed.cells().size());
            }
        }
        for (Effects.ScoreRequest r : fx.scores()) {
            scores.request(r);
        }
        if (!fx.closed().isEmpty() || !fx.cellResults().isEmpty()) {
            cycle.markDirty(nowMillis);
        }
    }

    private int partitionOf(String specimenId, int hint) {
        return hint >= 0 ? hint : book.partitionOf(specimenId);
    }

    private void deadLetter(ErrorCode code, String message, String specimenId, RecordOrigin origin, byte[] raw) {
        metrics.deadLetter(code.name());
        log.warn("dead letter {} specimen {} from {}-{}@{}", code, logIds.of(specimenId), origin.topic(), origin.partition(),
                origin.offset());
        output(() -> encoder.deadLetter(code, message, specimenId, origin, raw), System.currentTimeMillis());
    }

    /** Encodes an output into the open unit; the encoding's CPU time counts as the publish stage. */
    private void output(Supplier<TransactionCycle.Output> encode, long nowMillis) {
        long cpu0 = CpuClock.thread();
        TransactionCycle.Output out = encode.get();
        metrics.stageCpu("publish", CpuClock.thread() - cpu0);
        cycle.output(out, nowMillis);
    }

    private void onOutcome(CellOutcome outcome) {
        CellImage cell = outcome.cell();
        Pending pending = cellRecords.remove(cellKey(cell.specimenId(), cell.slideId(), cell.cellId()));
        if (halted || !book.isOpen(cell.specimenId())) {
            return; // its specimen was dropped (revoked, rebuilt) or closed meanwhile
        }
        Instant now = Instant.now();
        int partition = pending == null ? -1 : pending.origin().partition();
        if (outcome instanceof CellOutcome.Classified c) {
            Effects fx = book.classified(c.result(), now);
            if (!fx.cellResults().isEmpty()) {
                metrics.cellClassified(c.result().cellType(), Duration.between(cell.capturedAt(), now));
            }
            apply(fx, null, partition, pending == null ? null : pending.origin());
        } else if (outcome instanceof CellOutcome.Refused r) {
            if (pending != null && book.isOpen(cell.specimenId())) {
                deadLetter(r.code(), r.message(), cell.specimenId(), pending.origin(), pending.raw());
            }
            apply(book.lost(cell.specimenId(), cell.slideId(), cell.cellId(), now), null, partition, null);
        }
        // the dispatcher calls pump() once the whole batch is applied
    }

    private void onScored(Effects.ScoreRequest r, DiagnosticScore s) {
        if (halted) {
            return;
        }
        if (s == null) {
            metrics.diagnosticScoreFailed(r.stage().wireName());
            log.error("diagnostic score {} of specimen {} could not be computed", r.stage().wireName(), logIds.of(r.specimenId()));
        } else {
            output(() -> encoder.diagnosticScore(s, book.partitionOf(r.specimenId())), System.currentTimeMillis());
            metrics.diagnosticScore(r.stage().wireName(), s.leading().isEmpty() ? "none" : s.leading().get(0).diagnosis());
        }
    }

    /**
     * Input is blocked while the broker does not answer, a unit has been committing for more than
     * {@value #STUCK_COMMIT_MILLIS} ms, or the instance rebuilds after a failed unit. Specimens do not expire
     * meanwhile, and the time it lasted is added to their idle time afterwards.
     */
    private void watchBlocked(long now) {
        boolean blocked = !brokerReachable || cycle.broken() || cycle.committingMillis(now) > STUCK_COMMIT_MILLIS;
        if (blocked && blockedSince < 0) {
            blockedSince = now;
            inputBlocked = true;
            log.warn("input blocked (broker {}, commit {} ms, rebuilding {}): specimens do not expire meanwhile",
                    brokerReachable ? "reachable" : "unreachable", cycle.committingMillis(now), cycle.broken());
        } else if (!blocked && blockedSince >= 0) {
            book.shiftIdle(Duration.ofMillis(now - blockedSince));
            log.info("input unblocked after {} ms", now - blockedSince);
            blockedSince = -1;
            inputBlocked = false;
        }
    }

    private void expire() {
        if (halted || stopping || blockedSince >= 0 || !cycle.admitting()) {
            return; // a specimen must not expire for lack of input the service could not read
        }
        Effects fx = book.expire(Instant.now());
        apply(fx, null, -1, null);
        pump();
    }

    // ------------------------------------------------------------------------------------ commits

    private void tick() {
        if (halted) {
            return;
        }
        long now = System.currentTimeMillis();
        boolean idle = cells.load() == 0 && scores.inFlight() == 0;
        switch (cycle.tick(now, idle)) {
            case DRAIN -> cells.flushing(true);
            case SEAL -> {
                cells.flushing(false);
                List<TransactionCycle.StateRecord> state = new ArrayList<>();
                for (SpecimenState s : book.takeChanges()) {
                    state.add(new TransactionCycle.StateRecord(s.specimenId(), s.partition(), codec.encode(s)));
                }
                TransactionCycle.CommitUnit unit = cycle.seal(state, now);
                loop.commit(unit);
                pump();
            }
            case NONE -> {
            }
        }
    }

    private void flow() {
        int load = cells.load() + queue.size();
        switch (gate.load(load)) {
            case PAUSE -> {
                loop.pause(Set.copyOf(assigned));
                metrics.pausedPartitions(assigned.size());
                log.info("{} cells in flight or input waiting: pausing {} partitions", load, assigned.size());
            }
            case RESUME -> {
                loop.resume(Set.copyOf(assigned));
                metrics.pausedPartitions(0);
                log.info("{} cells in flight or input waiting: resuming {} partitions", load, assigned.size());
            }
            case NONE -> {
            }
        }
    }

    /** Drops every trace of the input partitions that match (revoked, or rebuilt from the changelog). */
    private void dropPartitions(IntPredicate numbers) {
        queue.removeIf(r -> numbers.test(r.partition()));
        Set<String> dropped = new HashSet<>(book.drop(numbers));
        cells.drop(c -> dropped.contains(c.specimenId()));
        scores.drop(dropped);
        cellRecords.values().removeIf(p -> numbers.test(p.origin().partition()));
        cycle.revoked(numbers);
    }

    private void restore(List<SpecimenState> restored) {
        Instant now = Instant.now();
        restored.forEach(s -> book.restore(s, now));
    }

    private final class Listener implements KafkaLoop.Listener {
        @Override
        public void assigned(Set<OffsetLedger.Partition> partitions, List<SpecimenState> restored) {
            restore(restored);
            assigned.addAll(partitions);
            assignedCount = assigned.size();
            everAssigned = true;
            if (gate.paused()) {
                loop.pause(partitions); // re-apply backpressure after the rebalance
                metrics.pausedPartitions(assigned.size());
            }
            log.info("assigned {} partitions: {}; restored {} specimen states", partitions.size(), describe(partitions),
                    restored.size());
            pump();
        }

        @Override
        public void revoked(Set<OffsetLedger.Partition> partitions) {
            Set<Integer> numbers = new HashSet<>();
            partitions.forEach(p -> numbers.add(p.partition()));
            dropPartitions(numbers::contains);
            assigned.removeAll(partitions);
            assignedCount = assigned.size();
            log.info("revoked {} partitions: {}", partitions.size(), describe(partitions));
            flow();
        }

        @Override
        public void records(List<KafkaLoop.InputRecord> records) {
            for (KafkaLoop.InputRecord r : records) {
                if (assigned.contains(new OffsetLedger.Partition(r.topic(), r.partition()))) {
                    queue.addLast(r);
                } // else: its partition was revoked after the fetch — the new owner reads it
            }
            pump();
        }

        @Override
        public void committed(TransactionCycle.CommitUnit unit) {
            cycle.committed(unit.sequence());
            committedUnits++;
            recordsCommitted += unit.records();
            metrics.transaction("committed");
            pump();
        }

        @Override
        public void failed(TransactionCycle.CommitUnit unit, String cause) {
            cycle.failed(unit.sequence());
            broken = true;
            abortedUnits++;
            metrics.transaction("aborted");
            log.warn("commit unit {} failed ({}): rebuilding from the last committed unit", unit.sequence(), cause);
        }

        @Override
        public void rebuilt(List<SpecimenState> restored) {
            dropPartitions(p -> true);
            queue.clear();
            restore(restored);
            cycle.reset();
            broken = false;
            log.info("rebuilt from the last committed unit: {} specimen states restored", restored.size());
            pump();
        }

        @Override
        public void brokerReachable(boolean reachable) {
            brokerReachable = reachable;
            if (!reachable) {
                log.warn("broker unreachable: no answer from Kafka at {}; not ready until it answers",
                        config.kafka().bootstrapServers());
            } else {
                log.info("broker reachable at {}", config.kafka().bootstrapServers());
            }
            watchBlocked(System.currentTimeMillis());
        }
    }

    private static String describe(Set<OffsetLedger.Partition> partitions) {
        return partitions.stream().map(tp -> tp.topic() + "-" + tp.partition()).sorted().toList().toString();
    }

    private static String cellKey(String specimenId, String slideId, String cellId) {
        return specimenId + '\u0000' + slideId + '\u0000' + cellId;
    }

    /** Readiness for {@code /health/ready}: partitions assigned, broker reachable, commits going through. */
    public HttpVerticle.Readiness readiness() {
        boolean partitions = everAssigned && assignedCount > 0;
        boolean broker = brokerReachable;
        boolean commits = !broken && !inputBlocked;
        boolean ready = partitions && broker && commits;
        return new HttpVerticle.Readiness(ready, new JsonObject()
                .put("modelVersion", classifier.modelVersion())
                .put("diagnosticModelVersion", scorer.model().version())
                .put("assignedPartitions", assignedCount)
                .put("processingGuarantee", config.processing().guarantee().wireName())
                .put("checks", new JsonArray().add(new JsonObject().put("name", "model").put("status", "UP"))
                        .add(new JsonObject().put("name", "partitions").put("status", partitions ? "UP" : "DOWN"))
                        .add(new JsonObject().put("name", "broker").put("status", broker ? "UP" : "DOWN"))
                        .add(new JsonObject().put("name", "commits").put("status", commits ? "UP" : "DOWN"))));
    }

    /** Liveness for {@code /health/live}: the oldest uncommitted input is younger than {@code health.maxUncommittedAgeMillis}. */
    public HttpVerticle.Readiness liveness() {
        long age = oldestUncommittedMillis;
        boolean live = age <= config.processing().maxUncommittedAge().toMillis();
        return new HttpVerticle.Readiness(live, new JsonObject().put("oldestUncommittedInputMillis", age)
                .put("limitMillis", config.processing().maxUncommittedAge().toMillis()));
    }

    /** Backpressure counters (call from the verticle's context or accept a racy snapshot). */
    public FlowStats flowStats() {
        return new FlowStats(cells.maxInFlight(), gate.pauses(), gate.resumes(), cells.inFlight(), cells.backlog());
    }

    /** Commit counters (racy snapshot). */
    public CommitStats commitStats() {
        return new CommitStats(committedUnits, abortedUnits, recordsCommitted);
    }
}
