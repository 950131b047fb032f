package org.hemastream.review.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.hemastream.cli.ConfigOptions;
import org.hemastream.config.ConfigException;
import org.hemastream.config.Settings;
import org.hemastream.review.CaptureImages;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * {@code hemastream export-reviews}: the reviewers' cell decisions as a lab manifest — {@code manifest.csv} with
 * {@code file,label,split,slide_id} and the cell images beside it, read back from the captures topic — which
 * {@code evaluate-cells}, {@code calibrate-cells} and {@code adapt_cells.py} read. Each cell's latest decision
 * counts (the reviews topic is an append-only log; a later review supersedes). Labels are the decisions: one of
 * the 14 cell types, or {@code non_blast} (a cell known only not to be a blast: it counts for blast specificity).
 * Only cells a reviewer decided explicitly are exported, never the model's own calls.
 */
@Command(name = "export-reviews", mixinStandardHelpOptions = true,
        description = "Write the reviewed cells (hema.alert-reviews) as a lab manifest with their images, for "
                + "evaluate-cells / calibrate-cells / adaptation.")
public final class ExportReviewsCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions options;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "folder for manifest.csv and images/")
    Path out;

    @Option(names = "--split", paramLabel = "SPLIT", description = "the split column's value (default: ${DEFAULT-VALUE})")
    String split = "eval";

    private final ObjectMapper mapper = new ObjectMapper();

    /** One cell's latest decision. */
    private record Decided(String slideId, String cellId, String decision, int partition, long offset) {
    }

    @Override
    public Integer call() throws Exception {
        PrintStream stdout = System.out;
        Settings settings;
        try {
            settings = options.settings();
            if (settings.stringOrNull("kafka.bootstrap.servers") == null) {
                throw new ConfigException("kafka.bootstrap.servers", "is required: pass --bootstrap-servers");
            }
        } catch (ConfigException e) {
            System.err.println("hemastream: " + e.getMessage());
            return 2;
        }
        if (!split.matches("train|val|test|eval")) {
            System.err.println("hemastream: --split must be train, val, test or eval, was '" + split + "'");
            return 2;
        }
        Map<String, Object> client = new HashMap<>(settings.kafkaClientSettings());
        client.remove("group.id");
        client.put("isolation.level", "read_committed");
        client.put("enable.auto.commit", "false");
        Map<String, Decided> latest = read(client, settings.string("topics.alertReviews"));
        Files.createDirectories(out.resolve("images"));
        List<String> rows = new ArrayList<>(List.of("file,label,split,slide_id"));
        Map<String, Integer> byLabel = new TreeMap<>();
        int withoutImage = 0;
        List<Decided> inTopicOrder = latest.values().stream()
                .sorted(java.util.Comparator.comparingInt(Decided::partition).thenComparingLong(Decided::offset)).toList();
        try (CaptureImages images = new CaptureImages(client, settings.string("topics.captures"), 64L << 20)) {
            for (Decided d : inTopicOrder) {
                var image = d.partition() < 0 ? java.util.Optional.<CaptureImages.Image>empty() : images.image(d.partition(), d.offset());
                if (image.isEmpty()) {
                    withoutImage++;
                    continue;
                }
                String file = "images/" + safe(d.slideId()) + "/" + safe(d.cellId())
                        + (image.get().contentType().equals("image/png") ? ".png" : ".jpg");
                Files.createDirectories(out.resolve(file).getParent());
                Files.write(out.resolve(file), image.get().bytes());
                rows.add(csv(file) + "," + d.decision() + "," + split + "," + csv(d.slideId()));
                byLabel.merge(d.decision(), 1, Integer::sum);
            }
        }
        Files.write(out.resolve("manifest.csv"), rows);
        stdout.printf("%s: %d reviewed cells %s%s%n", out.resolve("manifest.csv"), rows.size() - 1, byLabel,
                withoutImage == 0 ? "" : "; " + withoutImage + " without an image (no capture position, or gone with the captures topic's retention)");
        return 0;
    }

    /** Every review from the beginning to the end offsets at start; the latest decision per cell. */
    private Map<String, Decided> read(Map<String, Object> client, String topic) throws IOException {
        Map<String, Decided> latest = new LinkedHashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(client, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    JsonNode review = mapper.readTree(r.value());
                    if (!"alert-review".equals(review.path("type").asText())) {
                        continue;
                    }
                    for (JsonNode c : review.path("cells")) {
                        JsonNode capture = c.path("capture");
                        latest.put(review.path("specimenId").asText() + "/" + review.path("slideId").asText() + "/"
                                        + c.path("cellId").asText(),
                                new Decided(review.path("slideId").asText(), c.path("cellId").asText(), c.path("decision").asText(),
                                        capture.path("partition").asInt(-1), capture.path("offset").asLong(-1)));
                    }
                }
            }
        }
        return latest;
    }

    /** A file name from an ID: no separators, never {@code .} or {@code ..}. */
    private static String safe(String id) {
        String name = id.replaceAll("[^A-Za-z0-9._-]", "_");
        return name.matches("\\.*") ? "_" + name : name;
    }

    private static String csv(String value) {
        return value.contains(",") || value.contains("\"") ? "\"" + value.replace("\"", "\"\"") + "\"" : value;
    }
}
