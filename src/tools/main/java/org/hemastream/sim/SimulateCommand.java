package org.hemastream.sim;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import org.apache.kafka.common.KafkaException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code hemastream simulate}: replays specimens into a Kafka cluster as the analyzer line would —
 * the demo pack from the jar, or with {@code --datasets} every DeepAPL test patient plus healthy
 * smears. Prints one line per specimen sent, with its ground truth, so a reader can set the
 * service's alerts beside it. Topics are not created here: {@code run} creates them, or the broker
 * auto-creates them.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Replay real cell images (DeepAPL test patients, healthy PBC smears) with synthetic XN CBCs",
                "into lab.cbc.results and lab.cell.captures. One stdout line per specimen sent."})
public final class SimulateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT", defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS}",
            description = "Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS)")
    String bootstrapServers;

    @Option(names = "--datasets", paramLabel = "DIR",
            description = "datasets folder (with deepapl_cellavision/ and pbc_wbcatt/): replay all DeepAPL test patients "
                    + "and --healthy smears instead of the demo pack in the jar")
    Path datasets;

    @Option(names = "--healthy", paramLabel = "N", description = "healthy smears to assemble (with --datasets)")
    int healthy = 10;

    @Option(names = "--specimen", paramLabel = "ID", split = ",",
            description = "send only these specimens (e.g. DEMO-AML-92,DEMO-NORMAL-01); default all")
    List<String> only = new ArrayList<>();

    @Option(names = "--rate", paramLabel = "CELLS_PER_S", description = "cell images per second over the line; 0 = as fast as possible")
    double rate = 0;

    @Option(names = "--repeat", paramLabel = "N", description = "rounds; with N > 1 every round gets fresh specimen IDs (-R1, -R2, …)")
    int repeat = 1;

    @Option(names = "--parallel", paramLabel = "N", description = "slides in progress at once, their events interleaved")
    int parallel = 3;

    @Option(names = "--cbc-timing", paramLabel = "WHEN", description = "when the CBC is sent: ${COMPLETION-CANDIDATES}")
    SimulationOptions.CbcTiming cbcTiming = SimulationOptions.CbcTiming.BEFORE_SMEAR;

    @Option(names = "--seed", description = "seeds the interleaving and, with --datasets, the CBCs and healthy smears")
    long seed = DemoPack.DEFAULT_SEED;

    @Option(names = "--id-suffix", paramLabel = "TEXT", description = "appended to every specimen ID, e.g. a run tag")
    String idSuffix = "";

    @Option(names = "--topic-cbc", paramLabel = "TOPIC", description = "topic of CBC results")
    String cbcTopic = SimulationOptions.DEFAULT_CBC_TOPIC;

    @Option(names = "--topic-captures", paramLabel = "TOPIC", description = "topic of cell images and slide-complete")
    String capturesTopic = SimulationOptions.DEFAULT_CAPTURES_TOPIC;

    @Option(names = "--producer-property", paramLabel = "KEY=VALUE",
            description = "extra Kafka producer setting (TLS, SASL, …); repeatable")
    Map<String, String> producerProperties = new LinkedHashMap<>();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            err.println("simulate: --bootstrap-servers (or KAFKA_BOOTSTRAP_SERVERS) is required");
            return 2;
        }
        try {
            SimulationOptions options = new SimulationOptions(rate, repeat, parallel, cbcTiming, seed, cbcTopic,
                    capturesTopic, idSuffix);
            List<Specimen> specimens = select(datasets == null ? DemoPack.load() : DemoPack.fromDatasets(datasets, healthy, seed));
            try (AnalyzerLineSimulator simulator = AnalyzerLineSimulator.connect(bootstrapServers, options,
                    new LinkedHashMap<>(producerProperties))) {
                List<SentSpecimen> sent = simulator.run(specimens, s -> {
                    out.println(describe(s));
                    out.flush();
                });
                long cells = sent.stream().mapToLong(s -> s.cellSentAt().size()).sum();
                out.printf(Locale.ROOT, "simulated specimens=%d cells=%d%n", sent.size(), cells);
                out.flush();
            }
            return 0;
        } catch (IllegalArgumentException | IllegalStateException | UncheckedIOException | KafkaException e) {
            err.println("simulate: " + e.getMessage());
            return 1;
        }
    }

    private List<Specimen> select(DemoPack pack) {
        if (only.isEmpty()) {
            return pack.specimens();
        }
        List<Specimen> chosen = new ArrayList<>();
        for (String id : only) {
            chosen.add(pack.specimen(id).orElseThrow(() -> new IllegalArgumentException("no specimen " + id + "; have "
                    + pack.specimens().stream().map(Specimen::specimenId).toList())));
        }
        return chosen;
    }

    /** One greppable line: ID, ground truth, CBC headline, flags, provenance. */
    static String describe(SentSpecimen sent) {
        Specimen s = sent.specimen();
        SyntheticCbc cbc = s.cbc();
        return String.format(Locale.ROOT,
                "sent specimen=%s diagnosis=%s cells=%d blasts=%d blast_equivalents=%d WBC=%s HGB=%s PLT=%s flags=%s source=%s:%s",
                sent.specimenId(), s.diagnosis(), s.cells().size(), s.blastCount(), s.blastEquivalentCount(),
                cbc.parameters().get("WBC").toPlainString(), cbc.parameters().get("HGB").toPlainString(),
                cbc.parameters().get("PLT").toPlainString(), cbc.flags().isEmpty() ? "-" : String.join(",", cbc.flags()),
                s.dataset(), s.sourceReference());
    }
}
