package org.hemastream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.hemastream.HemastreamService;
import org.hemastream.config.ServiceConfig;
import org.hemastream.config.Settings;
import org.hemastream.events.CellImage;
import org.hemastream.inference.OnnxBatchClassifier;
import org.hemastream.kafka.EmbeddedKafkaBroker;
import org.hemastream.sim.AnalyzerLineSimulator;
import org.hemastream.sim.DemoPack;
import org.hemastream.sim.SimulationOptions;
import org.hemastream.sim.Specimen;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code hemastream load-test}: drives the simulator at rising rates against the service on the in-JVM
 * broker and reports sustained cells/s, blast-alert latency and per-cell end-to-end latency — and, in the
 * same run on the same cores, the compute floor: decode + preprocess + ONNX Runtime of the same cells in a
 * tight loop (no Kafka, no JSON). A benchmark, not a test: it reports numbers and ratios, it asserts nothing.
 */
@Command(name = "load-test", mixinStandardHelpOptions = true,
        description = "Streaming load test on the embedded broker; markdown report on stdout (and --report FILE).")
public final class LoadTestCommand implements Callable<Integer> {

    @Option(names = "--seconds", description = "seconds of load per step (default: ${DEFAULT-VALUE})")
    int seconds = 15;

    @Option(names = "--fractions", split = ",", description = "rates to drive, as fractions of the measured peak (default: ${DEFAULT-VALUE})")
    List<Double> fractions = List.of(0.25, 0.5, 0.75);

    @Option(names = "--max-batch", description = "inference.maxBatch for the main runs (default: ${DEFAULT-VALUE})")
    int maxBatch = 32;

    @Option(names = "--sessions", description = "inference.sessions (default: ${DEFAULT-VALUE})")
    int sessions = 2;

    @Option(names = "--compare-guarantees", description = "only measure the pre-loaded peak under exactly_once and at_least_once, alternately, N times each (0 = the full load test)")
    int compareGuarantees = 0;

    @Option(names = "--report", paramLabel = "FILE", description = "also write the markdown report here")
    Path report;

    private final ObjectMapper mapper = new ObjectMapper();

    /** One step's measurements. */
    private record Step(String label, double offeredRate, int cells, double sustained, double[] cellLatency,
                        double[] alertLatency, int alerts, double[] finalLatency, int finals) {
    }

    @Override
    public Integer call() throws Exception {
        List<Specimen> pack = DemoPack.load().specimens();
        int packCells = pack.stream().mapToInt(s -> s.cells().size()).sum();
        StringBuilder md = new StringBuilder();
        PrintStream out = System.out;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            ServiceConfig base = ServiceConfig.from(Settings.defaults().with(Map.of(
                    "kafka.bootstrap.servers", broker.bootstrapServers(), "http.port", "0",
                    "inference.sessions", String.valueOf(sessions), "inference.maxBatch", String.valueOf(maxBatch))));
            OnnxBatchClassifier classifier = HemastreamService.loadClassifier(base);
            double floor = computeFloor(classifier, pack, maxBatch, sessions);
            double floorBatch1 = computeFloor(classifier, pack, 1, sessions);
            out.printf(Locale.ROOT, "compute floor: %.1f cells/s at batch %d, %.1f cells/s at batch 1%n", floor, maxBatch, floorBatch1);

            if (compareGuarantees > 0) {
                compare(broker, base, classifier, pack, out, md);
                classifier.close();
                out.println();
                out.print(md);
                if (report != null) {
                    Files.writeString(report, md.toString());
                }
                return 0;
            }
            List<Step> steps = new ArrayList<>();
            Step peak = run(broker, base, classifier, pack, 0, "peak (unthrottled)", "p");
            steps.add(peak);
            Step peakBatch1 = run(broker, with(base, "inference.maxBatch", "1"), classifier, pack, 0,
                    "peak, maxBatch=1", "b1");
            Step preloaded = run(broker, base, classifier, pack, 0, "peak, topics pre-loaded (service alone)", "pre", true);
            Step preloadedBatch1 = run(broker, with(base, "inference.maxBatch", "1"), classifier, pack, 0,
                    "peak, pre-loaded, maxBatch=1", "preb1", true);
            for (double f : fractions) {
                steps.add(run(broker, base, classifier, pack, f * peak.sustained(),
                        String.format(Locale.ROOT, "%.0f %% of peak", f * 100), "f" + Math.round(f * 100)));
            }
            steps.add(1, peakBatch1);
            steps.add(2, preloaded);
            steps.add(3, preloadedBatch1);
            md.append("# Streaming load test\n\n");
            md.append(String.format(Locale.ROOT, "Command: `load-tests/streaming-load.sh` (`java -jar target/hemastream.jar load-test --seconds %d --max-batch %d --sessions %d`)%n%n",
                    seconds, maxBatch, sessions));
            md.append(String.format(Locale.ROOT, "Machine: %d cores visible to the JVM, %s %s; the Kafka broker, the simulator "
                            + "and the service all run in this one JVM and share these cores (in a lab the broker runs elsewhere). "
                            + "Cell model %s on ONNX Runtime CPU; demo pack of %d specimens / %d real cells replayed in rounds.%n%n",
                    Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"), System.getProperty("os.arch"),
                    classifier.modelVersion(), pack.size(), packCells));
            md.append(String.format(Locale.ROOT, "Compute floor (decode + preprocess + ONNX Runtime, tight loop, %d parallel sessions, "
                    + "same cells, no Kafka/JSON): **%.1f cells/s** at batch %d; %.1f cells/s at batch 1.%n%n", sessions, floor, maxBatch, floorBatch1));
            md.append("| step | offered cells/s | cells | sustained cells/s | ratio to floor | cell e2e p50 / p95 / p99 ms | preliminary alert p50 / p95 / p99 ms (n) | final alert p50 / p95 / p99 ms (n) |\n");
            md.append("|---|---|---|---|---|---|---|---|\n");
            for (Step s : steps) {
                md.append(String.format(Locale.ROOT, "| %s | %s | %d | %.1f | %.2f | %s | %s (%d) | %s (%d) |%n", s.label(),
                        s.offeredRate() == 0 ? "unthrottled" : String.format(Locale.ROOT, "%.0f", s.offeredRate()),
                        s.cells(), s.sustained(), s.sustained() / floor, triple(s.cellLatency()), triple(s.alertLatency()),
                        s.alerts(), triple(s.finalLatency()), s.finals()));
            }
            md.append(String.format(Locale.ROOT, "%nBatching: peak with maxBatch=%d is **%.2f×** the peak with maxBatch=1 "
                    + "(target ≥ 3×). Ratio of streaming peak to compute floor: **%.2f** (target ≥ 0.9).%n",
                    maxBatch, peak.sustained() / peakBatch1.sustained(), peak.sustained() / floor));
            md.append(String.format(Locale.ROOT, "With the input already on the topics (the simulator not competing for the cores): "
                    + "**%.1f cells/s**, ratio to floor **%.2f**; batching %.2f×.%n",
                    preloaded.sustained(), preloaded.sustained() / floor, preloaded.sustained() / preloadedBatch1.sustained()));
            md.append("\nPreliminary-alert latency: from the capture time of the blast cell that confirmed the alert to the "
                    + "alert's issuedAt. Final-alert latency: from the scanner's slide-complete to the final alert. Cell e2e: "
                    + "from capture to the cell result's record timestamp. Each step starts once the service's partitions are "
                    + "assigned; unthrottled steps dump the whole load at once, so their latencies are queueing time.\n");
            classifier.close();
        }
        out.println();
        out.print(md);
        if (report != null) {
            Files.writeString(report, md.toString());
        }
        return 0;
    }

    /** Exactly-once against at-least-once: the pre-loaded peak of each, alternating, in one run. */
    private void compare(EmbeddedKafkaBroker broker, ServiceConfig base, OnnxBatchClassifier classifier, List<Specimen> pack,
                         PrintStream out, StringBuilder md) throws Exception {
        List<Double> eos = new ArrayList<>();
        List<Double> alo = new ArrayList<>();
        for (int i = 0; i < compareGuarantees; i++) {
            alo.add(run(broker, with(base, "processing.guarantee", "at_least_once"), classifier, pack, 0,
                    "pre-loaded, at_least_once", "alo" + i, true).sustained());
            eos.add(run(broker, with(base, "processing.guarantee", "exactly_once"), classifier, pack, 0,
                    "pre-loaded, exactly_once", "eos" + i, true).sustained());
        }
        double e = eos.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        double a = alo.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        md.append("# Exactly-once against at-least-once%n%n".formatted());
        md.append(String.format(Locale.ROOT, "Command: `java -jar target/hemastream.jar load-test --compare-guarantees %d --max-batch %d --sessions %d`%n%n",
                compareGuarantees, maxBatch, sessions));
        md.append(String.format(Locale.ROOT, "Pre-loaded peak (the whole input on the topics before the service starts; %d cores shared by "
                        + "broker and service; flow.commitIntervalMillis %d): at_least_once %s cells/s (mean %.1f), exactly_once %s cells/s "
                        + "(mean %.1f): **exactly_once / at_least_once = %.2f**.%n", Runtime.getRuntime().availableProcessors(),
                base.flow().commitInterval().toMillis(), rates(alo), a, rates(eos), e, e / a));
        out.printf(Locale.ROOT, "exactly_once / at_least_once = %.2f%n", e / a);
    }

    private static String rates(List<Double> values) {
        return values.stream().map(v -> String.format(Locale.ROOT, "%.1f", v)).toList().toString();
    }

    private static ServiceConfig with(ServiceConfig base, String key, String value) {
        return ServiceConfig.from(Settings.defaults().with(Map.of("kafka.bootstrap.servers", base.kafka().bootstrapServers(),
                "http.port", "0", "inference.sessions", String.valueOf(base.inference().sessions()), key, value)));
    }

    /** Decode + preprocess + inference of the pack's cells in a tight loop on {@code sessions} threads. */
    private double computeFloor(OnnxBatchClassifier classifier, List<Specimen> pack, int batch, int threads) throws Exception {
        List<CellImage> cells = new ArrayList<>();
        for (Specimen s : pack) {
            for (int i = 0; i < s.cells().size(); i++) {
                cells.add(new CellImage(s.specimenId(), s.slideId(), s.cellId(i), Instant.EPOCH, s.cells().get(i).jpeg()));
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            classifier.classify(cells.subList(0, Math.min(batch * 2, cells.size()))); // warm-up
            AtomicLong done = new AtomicLong();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.max(5, seconds / 2));
            long t0 = System.nanoTime();
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int offset = t * 97;
                workers.add(pool.submit(() -> {
                    int i = offset % cells.size();
                    while (System.nanoTime() < end) {
                        List<CellImage> b = new ArrayList<>(batch);
                        for (int k = 0; k < batch; k++) {
                            b.add(cells.get(i));
                            i = (i + 1) % cells.size();
                        }
                        classifier.classify(b);
                        done.addAndGet(batch);
                    }
                    return null;
                }));
            }
            for (Future<?> w : workers) {
                w.get();
            }
            return done.get() / ((System.nanoTime() - t0) / 1e9);
        } finally {
            pool.shutdownNow();
        }
    }

    private Step run(EmbeddedKafkaBroker broker, ServiceConfig base, OnnxBatchClassifier classifier, List<Specimen> pack,
                     double rate, String label, String tag) throws Exception {
        return run(broker, base, classifier, pack, rate, label, tag, false);
    }

    /**
     * One step. With {@code preload}, the simulator writes everything to the topics first and the service
     * starts afterwards: its throughput is then measured without the simulator competing for the cores.
     */
    private Step run(EmbeddedKafkaBroker broker, ServiceConfig base, OnnxBatchClassifier classifier, List<Specimen> pack,
                     double rate, String label, String tag, boolean preload) throws Exception {
        String suffix = "-" + tag + "-" + System.nanoTime() % 100000;
        Map<String, String> topics = new HashMap<>();
        for (String t : List.of("cbc", "captures", "cellResults", "blastAlerts", "diagnosticScores", "deadLetters")) {
            topics.put("topics." + t, "load" + suffix + "." + t);
        }
        topics.put("topics.specimenState", "load" + suffix + ".state");
        topics.put("kafka.group.id", "load" + suffix);
        topics.put("processing.guarantee", base.processing().guarantee().wireName());
        topics.put("kafka.bootstrap.servers", broker.bootstrapServers());
        topics.put("http.port", "0");
        topics.put("inference.sessions", String.valueOf(base.inference().sessions()));
        topics.put("inference.maxBatch", String.valueOf(base.inference().maxBatch()));
        ServiceConfig config = ServiceConfig.from(Settings.defaults().with(topics));
        int packCells = pack.stream().mapToInt(s -> s.cells().size()).sum();
        int rounds = rate == 0 ? 3 : Math.max(1, (int) Math.ceil(rate * seconds / packCells));
        SimulationOptions so = SimulationOptions.defaults().withCellsPerSecond(rate).withRepeat(rounds)
                .withTopics(config.topics().cbc(), config.topics().captures()).withIdSuffix(suffix);
        List<Double> cellLatency = Collections.synchronizedList(new ArrayList<>());
        List<Double> alertLatency = new ArrayList<>();
        List<Double> finalLatency = new ArrayList<>();
        Map<String, Instant> slideCompleteSent = new java.util.concurrent.ConcurrentHashMap<>();
        int expected = packCells * rounds;
        Thread sim = new Thread(() -> {
            try (AnalyzerLineSimulator s = AnalyzerLineSimulator.connect(broker.bootstrapServers(), so, Map.of())) {
                s.run(pack, sent -> slideCompleteSent.put(sent.specimenId(), sent.slideCompleteSentAt()));
            }
        }, "load-simulator");
        if (preload) {
            sim.start();
            sim.join();
        }
        Vertx vertx = Vertx.vertx();
        HemastreamService service = HemastreamService.start(vertx, config, classifier, () -> { }).await(120, TimeUnit.SECONDS);
        // measure the steady state: start the line only once the group has assigned the partitions
        Instant readyBy = Instant.now().plusSeconds(60);
        while (!service.ready() && Instant.now().isBefore(readyBy)) {
            Thread.sleep(20);
        }
        Instant start = Instant.now();
        if (!preload) {
            sim.start();
        }
        int results = 0;
        long lastResult = 0;
        int alerts = 0;
        List<JsonNode> finalAlerts = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers", broker.bootstrapServers(),
                "group.id", "load-reader" + suffix, "auto.offset.reset", "earliest", "isolation.level", "read_committed"),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(List.of(config.topics().cellResults(), config.topics().blastAlerts()));
            Instant deadline = Instant.now().plusSeconds(seconds * 6L + 60);
            while (results < expected && Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(100))) {
                    JsonNode e = mapper.readTree(r.value());
                    if (r.topic().equals(config.topics().cellResults())) {
                        results++;
                        lastResult = Math.max(lastResult, r.timestamp());
                        cellLatency.add((double) (r.timestamp() - Instant.parse(e.get("capturedAt").asText()).toEpochMilli()));
                    } else if (e.get("stage").asText().equals("preliminary")) {
                        // from the capture of the cell that confirmed it (the latest blast cell listed)
                        alerts++;
                        Instant latest = Instant.EPOCH;
                        for (JsonNode b : e.get("blastCells")) {
                            Instant t = Instant.parse(b.get("capturedAt").asText());
                            latest = t.isAfter(latest) ? t : latest;
                        }
                        alertLatency.add((double) Duration.between(latest, Instant.parse(e.get("issuedAt").asText())).toMillis());
                    } else {
                        finalAlerts.add(e);
                    }
                }
            }
        }
        sim.join(30_000);
        for (JsonNode f : finalAlerts) {
            // from the scanner's slide-complete to the final alert
            Instant done = slideCompleteSent.get(f.get("specimenId").asText());
            if (done != null) {
                finalLatency.add((double) Duration.between(done, Instant.parse(f.get("issuedAt").asText())).toMillis());
            }
        }
        service.stop().await(30, TimeUnit.SECONDS);
        vertx.close().await(10, TimeUnit.SECONDS);
        double elapsed = (lastResult - start.toEpochMilli()) / 1000.0;
        Step step = new Step(label, rate, results, results / Math.max(0.001, elapsed), percentiles(cellLatency),
                percentiles(alertLatency), alerts, percentiles(finalLatency), finalLatency.size());
        System.out.printf(Locale.ROOT, "%-22s offered %-11s %6d cells, sustained %.1f cells/s, cell p99 %.0f ms, alert p99 %.0f ms%n",
                label, rate == 0 ? "unthrottled" : String.format(Locale.ROOT, "%.0f/s", rate), results, step.sustained(),
                step.cellLatency()[2], step.alertLatency()[2]);
        return step;
    }

    private static double[] percentiles(List<Double> values) {
        List<Double> v = new ArrayList<>(values);
        if (v.isEmpty()) {
            return new double[]{Double.NaN, Double.NaN, Double.NaN};
        }
        Collections.sort(v);
        return new double[]{at(v, 0.50), at(v, 0.95), at(v, 0.99)};
    }

    private static double at(List<Double> sorted, double q) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
    }

    private static String triple(double[] p) {
        return Double.isNaN(p[0]) ? "–" : String.format(Locale.ROOT, "%.0f / %.0f / %.0f", p[0], p[1], p[2]);
    }
}
