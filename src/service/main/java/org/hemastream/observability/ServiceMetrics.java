package org.hemastream.observability;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.hemastream.events.DiagnosticScore;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The service's Prometheus metrics (names as scraped, prefix {@code hemastream_}): batch size, queue
 * time, inference time, cell latency and blast-alert latency as histograms (Prometheus buckets: percentiles via histogram_quantile, aggregatable across instances); cells by type; alerts by
 * stage; dead letters by reason; open specimens, cells in flight and paused partitions as gauges; JVM
 * metrics. Kafka client metrics (incl. consumer lag) are bound by the ingest verticle. Thread-safe.
 */
public final class ServiceMetrics {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final DistributionSummary batchSize;
    private final Timer queueTime;
    private final Timer inferenceTime;
    private final Timer cellLatency;
    private final Counter duplicates;
    private final ConcurrentHashMap<String, Counter> byKey = new ConcurrentHashMap<>();
    private final AtomicInteger pausedPartitions = new AtomicInteger();

    public ServiceMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        batchSize = DistributionSummary.builder("hemastream.batch.size").description("cells per inference batch")
                .publishPercentileHistogram()
                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128).register(registry);
        queueTime = timer("hemastream.queue.time", "time a cell waited in the batcher before its batch started");
        inferenceTime = timer("hemastream.inference.time", "decode + preprocess + ONNX Runtime time of one batch");
        cellLatency = timer("hemastream.cell.latency", "from a cell's capture time to its classification");
        duplicates = Counter.builder("hemastream.cells.duplicate").description("repeated cell IDs ignored").register(registry);
        Gauge.builder("hemastream.partitions.paused", pausedPartitions, AtomicInteger::get)
                .description("input partitions paused by backpressure").register(registry);
        // Exported from the start (0), not at the first failure: rules and panels read 0, not an absent series.
        sendsRetried(0);
        for (DiagnosticScore.Stage stage : DiagnosticScore.Stage.values()) {
            counter("hemastream.diagnostic.scores.failed", "stage", stage.wireName(), "diagnostic scores that could not be computed");
        }
    }

    private Timer timer(String name, String description) {
        return Timer.builder(name).description(description)
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(60)).register(registry);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Registers {@code hemastream_ready}: 1 when {@code /health/ready} says ready, else 0 (called once by the service). */
    public void bindReady(Supplier<Boolean> ready) {
        Gauge.builder("hemastream.ready", () -> ready.get() ? 1 : 0)
                .description("1 when the instance is ready (Kafka reached, partitions assigned, commits going through)")
                .register(registry);
    }

    /** Registers the gauges that read live state (called once by the ingest verticle). */
    public void bindState(Supplier<Number> openSpecimens, Supplier<Number> cellsInFlight) {
        Gauge.builder("hemastream.specimens.open", openSpecimens).description("specimens not yet complete").register(registry);
        Gauge.builder("hemastream.cells.inflight", cellsInFlight)
                .description("cells received and not yet classified (queued or on the worker pool)").register(registry);
    }

    /**
     * Registers the commit-protocol gauges: the age of the oldest input fed but not yet committed (seconds)
     * and whether the broker answered the last check (1/0).
     */
    public void bindCommits(Supplier<Number> oldestUncommittedSeconds, Supplier<Number> brokerReachable) {
        Gauge.builder("hemastream.input.uncommitted.age.seconds", oldestUncommittedSeconds)
                .description("age of the oldest input record fed but not yet committed").register(registry);
        Gauge.builder("hemastream.broker.reachable", brokerReachable)
                .description("1 when the broker answered the last check, else 0").register(registry);
    }

    /**
     * Registers {@code hemastream_model_info{model, version}} = 1 for a loaded model, so dashboards can show
     * which model versions the instances run (a rollout shows as two versions side by side).
     */
    public void modelInfo(String model, String version) {
        Gauge.builder("hemastream.model.info", () -> 1).description("the model versions this instance runs")
                .tag("model", model).tag("version", version).register(registry);
    }

    /** A commit unit ended: {@code committed} or {@code aborted}. */
    public void transaction(String outcome) {
        counter("hemastream.transactions", "outcome", outcome, "commit units (Kafka transactions under exactly_once), by outcome").increment();
    }

    /** Sends not acknowledged and re-sent with the same content (at_least_once). */
    public void sendsRetried(int n) {
        counter("hemastream.sends.retried", "guarantee", "at_least_once", "output sends re-sent after a failure").increment(n);
    }

    /** Input records whose partition is not murmur2(key) % partitions: the producer's partitioner is not Kafka's default. */
    public void partitionMismatch(String topic) {
        counter("hemastream.input.partition.mismatch", "topic", topic,
                "input records on another partition than Kafka's default partitioner puts their key").increment();
    }

    public void batch(int size, long inferenceNanos) {
        batchSize.record(size);
        inferenceTime.record(inferenceNanos, TimeUnit.NANOSECONDS);
    }

    public void queued(long nanos) {
        queueTime.record(nanos, TimeUnit.NANOSECONDS);
    }

    public void cellClassified(String cellType, Duration sinceCapture) {
        counter("hemastream.cells.classified", "type", cellType, "cells classified, by top cell type").increment();
        if (!sinceCapture.isNegative()) {
            cellLatency.record(sinceCapture);
        }
    }

    public void alert(String stage, Duration sinceConfirmingCapture) {
        counter("hemastream.blast.alerts", "stage", stage, "blast alerts published").increment();
        if (sinceConfirmingCapture != null && !sinceConfirmingCapture.isNegative()) {
            Timer.builder("hemastream.blast.alert.latency")
                    .description("from the capture of the cell that confirmed the alert to publishing it")
                    .tag("stage", stage).publishPercentileHistogram()
                    // An exact bucket at the alerting SLO (p99 ≤ 250 ms, deploy/prometheus/hemastream-rules.yaml).
                    .serviceLevelObjectives(Duration.ofMillis(250))
                    .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(60))
                    .register(registry).record(sinceConfirmingCapture);
        }
    }

    /** A score was published; {@code leading} is its most probable class (the dashboard's diagnosis mix). */
    public void diagnosticScore(String stage, String leading) {
        byKey.computeIfAbsent("hemastream.diagnostic.scores|" + stage + "|" + leading,
                k -> Counter.builder("hemastream.diagnostic.scores").description("diagnostic scores published, by most probable class")
                        .tag("stage", stage).tag("leading", leading).register(registry)).increment();
    }

    public void diagnosticScoreFailed(String stage) {
        counter("hemastream.diagnostic.scores.failed", "stage", stage, "diagnostic scores that could not be computed").increment();
    }

    public void deadLetter(String reason) {
        counter("hemastream.dead.letters", "reason", reason, "input records dead-lettered, by reason").increment();
    }

    public void duplicateCell() {
        duplicates.increment();
    }

    public void specimenClosed(String completeness) {
        counter("hemastream.specimens.closed", "completeness", completeness, "specimens closed").increment();
    }

    public void pausedPartitions(int n) {
        pausedPartitions.set(n);
    }

    private Counter counter(String name, String tag, String value, String description) {
        return byKey.computeIfAbsent(name + "|" + value,
                k -> Counter.builder(name).description(description).tag(tag, value).register(registry));
    }
}
