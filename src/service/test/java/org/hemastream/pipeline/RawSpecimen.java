package org.hemastream.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.hemastream.config.ServiceConfig;

import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One specimen sent as the analyzer line would — its CBC (flag {@code Blasts?}), one capture per cell of slide
 * {@code <specimen>-S1}, then the slide's completion — through a producer the test built itself (another cluster,
 * another login), where {@link PipelineHarness}'s own producer does not fit.
 */
final class RawSpecimen {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private RawSpecimen() {
    }

    static void send(KafkaProducer<String, byte[]> producer, ServiceConfig.TopicsConfig t, String specimen,
                     List<TestCells.Cell> cells) throws Exception {
        send(producer, t.cbc(), specimen, Map.of("schemaVersion", 1, "type", "cbc-result", "specimenId", specimen,
                "measuredAt", Instant.now().toString(), "flags", List.of("Blasts?"),
                "parameters", Map.of("WBC", Map.of("value", 21.4, "unit", "10^3/uL"))));
        for (int i = 0; i < cells.size(); i++) {
            send(producer, t.captures(), specimen, Map.of("schemaVersion", 1, "type", "cell-image",
                    "specimenId", specimen, "slideId", specimen + "-S1", "cellId", specimen + "-S1-" + i,
                    "capturedAt", Instant.now().toString(),
                    "image", Base64.getEncoder().encodeToString(cells.get(i).jpeg())));
        }
        send(producer, t.captures(), specimen, Map.of("schemaVersion", 1, "type", "slide-complete",
                "specimenId", specimen, "slideId", specimen + "-S1", "cellCount", cells.size(),
                "completedAt", Instant.now().toString()));
    }

    private static void send(KafkaProducer<String, byte[]> producer, String topic, String key, Map<String, Object> event)
            throws Exception {
        producer.send(new ProducerRecord<>(topic, key, MAPPER.writeValueAsBytes(event))).get(30, TimeUnit.SECONDS);
    }
}
