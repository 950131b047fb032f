package org.hemastream.faults;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.hemastream.sim.AnalyzerLineSimulator;
import org.hemastream.sim.DemoPack;
import org.hemastream.sim.Specimen;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code hemastream poison}: sends a deterministic storm of bad input records ({@link PoisonRecords}:
 * 27 kinds — bad JSON, wrong schema, unknown type, key mismatch, bad specimen IDs, bad base64,
 * truncated JPEG, decompression bomb, wrong topic, …) into the input topics, for the fault suite.
 * Run it beside {@code simulate} to interleave them with good specimens.
 */
@Command(name = "poison", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Send COUNT bad input records of 27 kinds (deterministic for a seed) into lab.cbc.results and",
                "lab.cell.captures, with host specimens for the kinds only the image decoder refuses. For fault tests."})
public final class PoisonCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT", defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS}",
            description = "Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS)")
    String bootstrapServers;

    @Option(names = "--count", description = "bad records to send")
    int count = 10_000;

    @Option(names = "--seed", description = "shuffles the kinds: the same seed and count send the same records")
    long seed = 7;

    @Option(names = "--rate", paramLabel = "RECORDS_PER_S", description = "records per second; 0 = as fast as possible")
    double rate = 0;

    @Option(names = "--topic-cbc", paramLabel = "TOPIC")
    String cbcTopic = "lab.cbc.results";

    @Option(names = "--topic-captures", paramLabel = "TOPIC")
    String capturesTopic = "lab.cell.captures";

    @Option(names = "--producer-property", paramLabel = "KEY=VALUE", description = "extra Kafka producer setting")
    Map<String, String> producerProperties = new LinkedHashMap<>();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            err.println("poison: --bootstrap-servers (or KAFKA_BOOTSTRAP_SERVERS) is required");
            return 2;
        }
        if (count < 0 || !(rate >= 0)) {
            err.println("poison: --count and --rate must be >= 0");
            return 2;
        }
        Specimen donor = DemoPack.load().specimens().get(0);
        List<PoisonRecords.PoisonRecord> records = new PoisonRecords(donor.cells().get(0).jpeg(), donor.cbc()).generate(count, seed);
        Properties config = AnalyzerLineSimulator.producerConfig(bootstrapServers, new LinkedHashMap<>(producerProperties));
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "hemastream-poison");
        AtomicReference<Exception> failure = new AtomicReference<>();
        Map<String, Integer> byKind = new TreeMap<>();
        long start = System.nanoTime();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config)) {
            int sent = 0;
            for (PoisonRecords.PoisonRecord r : records) {
                if (failure.get() != null) {
                    break;
                }
                if (rate > 0) {
                    long due = start + (long) (sent * 1e9 / rate);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(wait);
                    }
                }
                String topic = r.topic() == PoisonRecords.Topic.CBC ? cbcTopic : capturesTopic;
                producer.send(new ProducerRecord<>(topic, r.key(), r.value()), (m, e) -> {
                    if (e != null) {
                        failure.compareAndSet(null, e);
                    }
                });
                byKind.merge(r.kind(), 1, Integer::sum);
                sent++;
            }
            producer.flush();
        } catch (KafkaException e) {
            err.println("poison: " + e.getMessage());
            return 1;
        }
        if (failure.get() != null) {
            err.println("poison: Kafka rejected a record: " + failure.get().getMessage());
            return 1;
        }
        long hosts = byKind.getOrDefault("HOST_SLIDE_COMPLETE", 0);
        out.printf(Locale.ROOT, "poison records=%d bad=%d kinds=%d host_specimens=%d in %.1f s%n", records.size(), count,
                byKind.keySet().stream().filter(k -> !k.startsWith("HOST_")).count(), hosts, (System.nanoTime() - start) / 1e9);
        out.flush();
        return 0;
    }
}
