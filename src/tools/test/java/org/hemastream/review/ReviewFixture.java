package org.hemastream.review;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.hemastream.kafka.KafkaBroker;
import org.hemastream.sim.AnalyzerMessages;
import org.hemastream.sim.DemoPack;
import org.hemastream.sim.Specimen;
import org.hemastream.sim.SpecimenCell;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A slide on a real broker as the analyzer line and the service leave it, without running the service: real
 * demo-pack cell images on the captures topic, a cell result per cell pointing at its capture record, a CBC and
 * a final blast alert listing the first cells. Topic names are fresh per fixture.
 */
public final class ReviewFixture implements AutoCloseable {

    /** One cell: its image and where it lies on the captures topic. */
    public record Cell(String cellId, SpecimenCell source, int partition, long offset) {
    }

    public final Map<String, String> settings = new HashMap<>();
    public final String specimenId;
    public final String slideId;
    public final String alertId;
    public final List<Cell> cells = new ArrayList<>();
    private final KafkaProducer<String, byte[]> producer;

    public ReviewFixture(KafkaBroker broker, int cellCount, int flagged) throws Exception {
        settings.put("kafka.bootstrap.servers", broker.bootstrapServers());
        for (String t : List.of("cbc", "captures", "cellResults", "blastAlerts", "alertReviews")) {
            settings.put("topics." + t, broker.createTopic(t, 2));
        }
        producer = new KafkaProducer<>(Map.of("bootstrap.servers", broker.bootstrapServers(), "acks", "all"),
                new StringSerializer(), new ByteArraySerializer());
        Specimen specimen = DemoPack.load().specimens().get(0);
        specimenId = specimen.specimenId();
        slideId = specimen.slideId();
        AnalyzerMessages messages = new AnalyzerMessages();
        JsonObject result = new JsonObject(Files.readString(Path.of("schemas/examples/cell-result.example.json")))
                .put("specimenId", specimenId).put("slideId", slideId);
        JsonArray listed = new JsonArray();
        for (int i = 0; i < cellCount; i++) {
            String cellId = specimen.cellId(i);
            SpecimenCell source = specimen.cells().get(i);
            RecordMetadata at = send(settings.get("topics.captures"),
                    messages.cellImage(specimenId, slideId, cellId, Instant.now(), source.jpeg()));
            cells.add(new Cell(cellId, source, at.partition(), at.offset()));
            boolean blast = i < flagged;
            send(settings.get("topics.cellResults"), result.copy().put("cellId", cellId).put("blast", blast)
                    .put("cellType", blast ? "blast" : "lymphocyte")
                    .put("capture", new JsonObject().put("partition", at.partition()).put("offset", at.offset())).encode()
                    .getBytes(StandardCharsets.UTF_8));
            if (blast) {
                listed.add(new JsonObject().put("cellId", cellId).put("probability", 0.9).put("cellType", "blast").put("flagged", true));
            }
        }
        send(settings.get("topics.captures"), messages.slideComplete(specimenId, slideId, cellCount, Instant.now()));
        send(settings.get("topics.cbc"), new JsonObject(Files.readString(Path.of("schemas/examples/cbc-result.example.json")))
                .put("specimenId", specimenId).encode().getBytes(StandardCharsets.UTF_8));
        alertId = org.hemastream.events.BlastAlert.alertId(specimenId, slideId, org.hemastream.events.BlastAlert.Stage.FINAL);
        send(settings.get("topics.blastAlerts"), new JsonObject(Files.readString(Path.of("schemas/examples/blast-alert.example.json")))
                .put("alertId", alertId).put("specimenId", specimenId).put("slideId", slideId).put("stage", "final")
                .put("blastCount", flagged).put("classifiedCells", cellCount).put("blastCells", listed)
                .encode().getBytes(StandardCharsets.UTF_8));
    }

    public RecordMetadata send(String topic, byte[] value) throws Exception {
        return producer.send(new ProducerRecord<>(topic, specimenId, value)).get(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        producer.close();
    }
}
