package org.hemastream.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import org.hemastream.HemastreamService;
import org.hemastream.kafka.EmbeddedKafkaBroker;
import org.hemastream.kafka.KafkaBroker;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The other side of the guarantees: {@code at_least_once} loses nothing across a kill and every copy of
 * an output carries the same content; a broker outage shows in {@code /health/ready} and does not expire
 * specimens whose input the service cannot read.
 */
class GuaranteesPipelineTest extends PipelineTestBase {

    @Test
    void underAtLeastOnceAKillLosesNothingAndEveryCopyOfAnOutputHasTheSameContent(KafkaBroker broker) throws Exception {
        List<TestCells.Cell> cells = new java.util.ArrayList<>(TestCells.labelled("lymphocyte", "DeepAPL"));
        cells.addAll(TestCells.labelled("blast", "DeepAPL"));
        PipelineHarness h = harness(broker, Map.of("processing.guarantee", "at_least_once", "instance.id", "alo-kill-test"));
        h.start(PipelineHarness.classifier());
        String id = "ALO-1";
        h.send(h.config.topics().cbc(), id, h.cbc(id, "Blasts?").put("measuredAt", "2026-11-26T07:50:00Z"));
        for (int i = 0; i < cells.size(); i++) {
            h.send(h.config.topics().captures(), id, h.cell(id, id + "-S1", "c" + i, cells.get(i).jpeg())
                    .put("capturedAt", "2026-11-26T08:00:" + String.format("%02d", i) + "Z"));
            if (i == cells.size() / 2) {
                int half = i;
                await().atMost(Duration.ofSeconds(60)).until(() -> h.cellResults().size() >= half / 2);
                h.killService();
                h.start(PipelineHarness.classifier());
            }
        }
        h.send(h.config.topics().captures(), id, h.slideComplete(id, id + "-S1", cells.size()));
        await().atMost(Duration.ofSeconds(90)).until(() -> h.events(h.config.topics().diagnosticScores()).stream()
                .anyMatch(s -> s.get("stage").asText().equals("final")));
        Thread.sleep(1000);
        Map<String, List<JsonNode>> byId = ExactlyOncePipelineTest.outputsById(h);
        assertThat(byId.keySet().stream().filter(k -> k.startsWith("cell/"))).hasSize(cells.size());
        byId.forEach((k, copies) -> assertThat(copies).as("copies of %s", k).allSatisfy(c -> assertThat(c).isEqualTo(copies.get(0))));
    }

    @Test
    void aRecordOnAnotherPartitionThanKafkasDefaultPartitionerGivesItsKeyIsCountedAndStillProcessed(KafkaBroker broker)
            throws Exception {
        PipelineHarness h = harness(broker, Map.of());
        HemastreamService service = h.start(PipelineHarness.classifier());
        String id = "MISPLACED-1";
        h.sendToPartition(h.config.topics().cbc(), 1 - murmur2Partition(id, 2), id, h.cbc(id));
        h.sendToPartition(h.config.topics().cbc(), murmur2Partition("RIGHT-1", 2), "RIGHT-1", h.cbc("RIGHT-1"));
        await().atMost(Duration.ofSeconds(30)).until(() -> h.events(h.config.topics().diagnosticScores()).size() == 2);
        await().atMost(Duration.ofSeconds(10)).until(() -> service.metrics().registry()
                .find("hemastream.input.partition.mismatch").counter() != null);
        assertThat(service.metrics().registry().get("hemastream.input.partition.mismatch").counter().count()).isEqualTo(1.0);
    }

    private static int murmur2Partition(String key, int partitions) {
        return org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(
                key.getBytes(java.nio.charset.StandardCharsets.UTF_8))) % partitions;
    }

    @Test
    void aBrokerOutageMakesTheInstanceNotReadyAndDoesNotExpireItsSpecimens(KafkaBroker shared) throws Exception {
        EmbeddedKafkaBroker own = EmbeddedKafkaBroker.start();
        KafkaBroker ownBroker = new KafkaBroker() {
            @Override
            public String bootstrapServers() {
                return own.bootstrapServers();
            }

            @Override
            public String kind() {
                return "embedded";
            }

            @Override
            public String freshTopic(String prefix) {
                return shared.freshTopic(prefix);
            }
        };
        try {
            PipelineHarness h = harness(ownBroker, Map.of("specimen.maxIdleMillis", "10000", "instance.id", "outage-test"));
            HemastreamService service = h.start(PipelineHarness.classifier());
            await().atMost(Duration.ofSeconds(30)).until(service::ready);
            h.send(h.config.topics().cbc(), "OUTAGE-1", h.cbc("OUTAGE-1"));
            await().atMost(Duration.ofSeconds(30)).until(() -> !h.events(h.config.topics().diagnosticScores()).isEmpty());
            own.close();
            await().atMost(Duration.ofSeconds(20)).until(() -> !service.ready());
            int status = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + service.httpPort() + "/health/ready")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode();
            assertThat(status).isEqualTo(503);
            Thread.sleep(15_000); // longer than specimen.maxIdleMillis
            assertThat(service.metrics().registry().get("hemastream.specimens.open").gauge().value()).isEqualTo(1.0);
            assertThat(h.events(h.config.topics().diagnosticScores())).hasSize(1); // no final (partial) score
        } finally {
            own.close();
        }
    }
}
