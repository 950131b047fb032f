package org.hemastream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.hemastream.HemastreamService;
import org.hemastream.config.ConfigException;
import org.hemastream.config.ServiceConfig;
import org.hemastream.config.Settings;
import org.hemastream.kafka.EmbeddedKafkaBroker;
import org.hemastream.sim.AnalyzerLineSimulator;
import org.hemastream.sim.DemoPack;
import org.hemastream.sim.SimulationOptions;
import org.hemastream.sim.Specimen;
import org.hemastream.sim.SpecimenCell;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code hemastream demo}: everything on one machine — an in-JVM Kafka broker, the service, and the
 * analyzer-line simulator replaying the demo pack (real DeepAPL AML/APL smears and healthy PBC smears
 * with synthetic CBCs). Shows alerts live as they are published, beside the dataset's ground truth,
 * then a summary table; exits when every specimen is done unless {@code --follow}.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Embedded broker + service + simulator on the demo pack; live alerts, then a summary.",
        footer = "%n${hemastream.config.table}")
public final class DemoCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions options;

    @Option(names = "--datasets", paramLabel = "DIR",
            description = "replay every DeepAPL test patient and healthy PBC smears from this datasets folder instead of the pack")
    Path datasets;

    @Option(names = "--rate", paramLabel = "CELLS_PER_S", description = "cell images per second (default: ${DEFAULT-VALUE})")
    double rate = 100;

    @Option(names = "--follow", description = "keep running after the pack (Ctrl-C to stop)")
    boolean follow;

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "give up waiting for outputs after (default: ${DEFAULT-VALUE})")
    int timeoutSeconds = 300;

    static {
        System.setProperty("hemastream.config.table", org.hemastream.config.Defaults.table());
    }

    private final ObjectMapper mapper = new ObjectMapper();

    /** What the demo saw for one specimen. */
    private static final class Seen {
        int cellResults;
        int flaggedBlasts;
        int trueBlastsFlagged;
        String preliminaryLatency = "-";
        Integer finalBlasts;
        String finalPercent = "";
        boolean cbcFlag;
        String cbcOnlyScore = "-";
        String finalScore;
    }

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        DemoPack pack = datasets == null ? DemoPack.load() : DemoPack.fromDatasets(datasets, 10, DemoPack.DEFAULT_SEED);
        ServiceConfig base;
        Settings settings;
        try {
            settings = options.settings();
            base = ServiceConfig.from(settings);
            base = base.withHttp(demoHttp(settings, base.http(), out));
        } catch (ConfigException e) {
            System.err.println("hemastream: " + e.getMessage());
            return 2;
        }
        out.println("Starting an in-JVM Kafka broker (KRaft) on 127.0.0.1 …");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            ServiceConfig config = base.withBootstrap(broker.bootstrapServers());
            out.printf("broker %s up in %.1f s; starting the review page …%n",
                    broker.bootstrapServers(), broker.startupTime().toMillis() / 1000.0);
            Vertx vertx = Vertx.vertx();
            DemoReview review = DemoReview.start(vertx, settings, config);
            out.printf("review page: %s/  (sign in as %s%s)%n", review.baseUrl(), review.reviewer(),
                    review.token() == null ? "" : ", token " + review.token());
            config = config.alerts().reviewBaseUrl() == null ? config.withReviewBaseUrl(review.baseUrl()) : config;
            out.println("loading the cell model and starting the service …");
            HemastreamService service;
            try {
                service = HemastreamService.start(vertx, config).await(120, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.err.println("hemastream: start-up failed: " + StartupFailure.oneLine(e));
                review.stop();
                vertx.close().await(10, TimeUnit.SECONDS);
                return 1;
            }
            out.printf("service up: %s://%s:%d/metrics  /health/ready%n", config.http().tls() ? "https" : "http",
                    config.http().host().equals("0.0.0.0") ? "127.0.0.1" : config.http().host(), service.httpPort());
            Map<String, Specimen> bySpecimen = new LinkedHashMap<>();
            pack.specimens().forEach(s -> bySpecimen.put(s.specimenId(), s));
            Map<String, Seen> seen = new HashMap<>();
            out.printf("%nReplaying %d specimens (%d cells) at %.0f cells/s. Live blast alerts and diagnostic scores:%n%n",
                    bySpecimen.size(), pack.specimens().stream().mapToInt(s -> s.cells().size()).sum(), rate);

            ServiceConfig running = config;
            Thread simulator = new Thread(() -> {
                SimulationOptions so = SimulationOptions.defaults().withCellsPerSecond(rate)
                        .withTopics(running.topics().cbc(), running.topics().captures());
                try (AnalyzerLineSimulator sim = AnalyzerLineSimulator.connect(broker.bootstrapServers(), so, Map.of())) {
                    sim.run(pack.specimens());
                }
            }, "demo-simulator");
            simulator.start();

            Instant deadline = Instant.now().plusSeconds(timeoutSeconds);
            try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                    "bootstrap.servers", broker.bootstrapServers(), "group.id", "hemastream-demo-console",
                    "auto.offset.reset", "earliest"), new StringDeserializer(), new ByteArrayDeserializer())) {
                consumer.subscribe(List.of(config.topics().blastAlerts(), config.topics().cellResults(),
                        config.topics().deadLetters(), config.topics().diagnosticScores()));
                while (follow || (Instant.now().isBefore(deadline) && !done(bySpecimen, seen))) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        show(r, bySpecimen, seen, config, out);
                    }
                }
                // a short grace period for anything still in flight
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    show(r, bySpecimen, seen, config, out);
                }
            }
            simulator.join(10_000);
            summary(bySpecimen, seen, out);
            service.stop().await(30, TimeUnit.SECONDS);
            review.stop();
            vertx.close().await(10, TimeUnit.SECONDS);
            return done(bySpecimen, seen) ? 0 : 1;
        }
    }

    /**
     * The demo is a local tool: unless set, HTTP binds 127.0.0.1, and when the default port is taken (another
     * service on 8080) it takes a free one — the line "service up: …" says which.
     */
    static ServiceConfig.HttpConfig demoHttp(Settings settings, ServiceConfig.HttpConfig http, PrintStream out) {
        if (settings.source("http.host").equals("default")) {
            http = http.withHost("127.0.0.1");
        }
        if (settings.source("http.port").equals("default") && !portFree(http.host(), http.port())) {
            out.printf("port %d is taken; the demo's HTTP takes a free port instead%n", http.port());
            http = http.withPort(0);
        }
        return http;
    }

    static boolean portFree(String host, int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName(host))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private boolean done(Map<String, Specimen> specimens, Map<String, Seen> seen) {
        for (Specimen s : specimens.values()) {
            Seen v = seen.get(s.specimenId());
            if (v == null || v.cellResults < s.cells().size() || (v.flaggedBlasts > 0 && v.finalBlasts == null)
                    || v.finalScore == null) {
                return false;
            }
        }
        return true;
    }

    private void show(ConsumerRecord<String, byte[]> r, Map<String, Specimen> specimens, Map<String, Seen> seen,
                      ServiceConfig config, PrintStream out) throws Exception {
        JsonNode e = mapper.readTree(r.value());
        Specimen specimen = specimens.get(r.key());
        Seen v = seen.computeIfAbsent(r.key(), k -> new Seen());
        if (r.topic().equals(config.topics().cellResults())) {
            v.cellResults++;
            if (e.get("blast").asBoolean()) {
                v.flaggedBlasts++;
                if (specimen != null && specimen.cellById(e.get("cellId").asText()).map(SpecimenCell::blast).orElse(false)) {
                    v.trueBlastsFlagged++;
                }
            }
        } else if (r.topic().equals(config.topics().blastAlerts())) {
            String stage = e.get("stage").asText();
            long latencyMs = Duration.between(latestCapture(e), Instant.parse(e.get("issuedAt").asText())).toMillis();
            v.cbcFlag = e.get("cbcFlags").size() > 0;
            if (stage.equals("preliminary")) {
                v.preliminaryLatency = latencyMs + " ms";
            } else {
                v.finalBlasts = e.get("blastCount").asInt() + e.path("promyelocyteCount").asInt();
                v.finalPercent = String.format(Locale.ROOT, "%.1f %%", e.get("blastPercent").asDouble());
            }
            StringBuilder cells = new StringBuilder();
            int shown = 0;
            for (JsonNode c : e.get("blastCells")) {
                if (shown++ == 3) {
                    cells.append(" …");
                    break;
                }
                String truth = specimen == null ? "?" : specimen.cellById(c.get("cellId").asText())
                        .map(SpecimenCell::label).orElse("?");
                cells.append(String.format(Locale.ROOT, " %s %s p=%.2f (truth: %s)", c.get("cellId").asText(),
                        c.path("cellType").asText("blast"), c.get("probability").asDouble(), truth));
            }
            out.printf(Locale.ROOT, "  ALERT %-11s %-16s %3d blast(s) + %d abnormal promyelocyte(s) of %3d cells (%5.1f %%) CBC flags %s, %s after capture%n       %s%n",
                    stage, r.key(), e.get("blastCount").asInt(), e.path("promyelocyteCount").asInt(), e.get("classifiedCells").asInt(),
                    e.get("blastPercent").asDouble(), e.get("cbcFlags"), latencyMs + " ms", cells.toString().trim());
            if (e.hasNonNull("reviewUrl")) {
                out.printf("       review: %s%n", e.get("reviewUrl").asText());
            }
        } else if (r.topic().equals(config.topics().diagnosticScores())) {
            String stage = e.get("stage").asText();
            JsonNode lead = e.get("leading").get(0);
            String top = String.format(Locale.ROOT, "%s %.2f", lead.get("diagnosis").asText(), lead.get("probability").asDouble());
            if (stage.equals("final")) {
                v.finalScore = top;
            } else {
                v.cbcOnlyScore = top;
            }
            StringBuilder why = new StringBuilder();
            for (JsonNode c : lead.get("contributions")) {
                if (why.length() > 0) {
                    why.append(", ");
                }
                why.append(String.format(Locale.ROOT, "%s=%s (%+.2f)", c.get("feature").asText(),
                        c.get("value").isNull() ? "missing" : String.format(Locale.ROOT, "%.3g", c.get("value").asDouble()),
                        c.get("contribution").asDouble()));
            }
            out.printf(Locale.ROOT, "  SCORE %-11s %-16s %-15s from %s cells; top features: %s%n", stage, r.key(), top,
                    e.get("completeness").get("classifiedCells").asInt(), why);
        } else {
            out.printf("  DEAD LETTER %s %s: %s%n", r.key(), e.get("errorCode").asText(), e.get("errorMessage").asText());
        }
    }

    private static Instant latestCapture(JsonNode alert) {
        Instant latest = Instant.EPOCH;
        for (JsonNode c : alert.get("blastCells")) {
            if (c.has("capturedAt")) {
                Instant t = Instant.parse(c.get("capturedAt").asText());
                latest = t.isAfter(latest) ? t : latest;
            }
        }
        return latest;
    }

    private static void summary(Map<String, Specimen> specimens, Map<String, Seen> seen, PrintStream out) {
        out.printf("%nSummary (ground truth from the datasets; CBCs are synthetic; decision support, not a diagnosis)%n");
        String fmt = "%-16s %-8s %6s %11s %13s %15s %12s %14s %-15s %-15s%n";
        out.printf(fmt, "specimen", "truth", "cells", "true blasts", "model blasts", "of them true", "final alert", "prelim. lat.",
                "score cbc-only", "score final");
        for (Specimen s : specimens.values()) {
            Seen v = seen.getOrDefault(s.specimenId(), new Seen());
            out.printf(fmt, s.specimenId(), s.diagnosis().name(), v.cellResults + "/" + s.cells().size(), s.blastCount(),
                    v.flaggedBlasts, v.trueBlastsFlagged, v.finalBlasts == null ? "none" : v.finalBlasts + " (" + v.finalPercent + ")",
                    v.preliminaryLatency, v.cbcOnlyScore, v.finalScore == null ? "-" : v.finalScore);
        }
        out.println("Scores: diagnostic-assist model trained on a SYNTHETIC cohort (see models/diagnostic-model.md); "
                + "the demo's AML/APL patients are scored on synthetic CBCs.");
    }
}
