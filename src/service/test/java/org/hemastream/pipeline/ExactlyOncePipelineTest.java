package org.hemastream.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.hemastream.events.CellImage;
import org.hemastream.inference.BatchClassifier;
import org.hemastream.inference.CellOutcome;
import org.hemastream.kafka.KafkaBroker;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Exactly-once outputs, as a {@code read_committed} consumer sees them: the service is killed mid-stream
 * (no commit, no abort, its Kafka clients left as zombies — {@code kill -9}) and restarted with the same
 * instance ID; every output appears exactly once, with the content of a run without the fault, and the
 * restarted instance restores the classified cells from the state changelog instead of classifying them
 * again.
 */
class ExactlyOncePipelineTest extends PipelineTestBase {

    private static final String AML = "EOS-AML";
    private static final String HEALTHY = "EOS-HEALTHY";

    /** The real classifier, counting the cells it classifies. */
    private static final class Counting extends ForwardingClassifier {
        final AtomicInteger cells = new AtomicInteger();

        Counting(BatchClassifier real) {
            super(real);
        }

        @Override
        public List<CellOutcome> classify(List<CellImage> batch) throws Exception {
            cells.addAndGet(batch.size());
            return real.classify(batch);
        }
    }

    /** Every expected output ID exactly once, each with the content of the fault-free run. */
    private static void assertEachOutputOnceWithTheSameContent(Map<String, List<JsonNode>> actual,
                                                                Map<String, List<JsonNode>> expected) {
        assertThat(actual.keySet()).isEqualTo(expected.keySet());
        actual.forEach((id, copies) -> assertThat(copies).as("copies of %s", id).hasSize(1));
        Map<String, JsonNode> expectedContent = new HashMap<>();
        expected.forEach((k, v) -> expectedContent.put(k, v.get(0)));
        Map<String, JsonNode> actualContent = new HashMap<>();
        actual.forEach((k, v) -> actualContent.put(k, v.get(0)));
        assertThat(actualContent).isEqualTo(expectedContent);
    }

    private static List<TestCells.Cell> amlCells() {
        List<TestCells.Cell> cells = new ArrayList<>(TestCells.labelled("lymphocyte", "DeepAPL"));
        cells.addAll(TestCells.labelled("blast", "DeepAPL"));
        cells.addAll(TestCells.labelled("monocyte", "DeepAPL"));
        return cells;
    }

    private static List<TestCells.Cell> healthyCells() {
        List<TestCells.Cell> cells = new ArrayList<>(TestCells.labelled("segmented_neutrophil", "PBC"));
        cells.addAll(TestCells.labelled("lymphocyte", "PBC"));
        return cells;
    }

    /** The whole input, in the order the analyzer line sends it; fixed timestamps so runs compare. */
    private static List<Object[]> inputs(PipelineHarness h) {
        List<Object[]> in = new ArrayList<>();
        String cbc = h.config.topics().cbc();
        String cap = h.config.topics().captures();
        in.add(new Object[]{cbc, AML, h.cbc(AML, "Blasts?").put("measuredAt", "2026-11-26T07:50:00Z")});
        in.add(new Object[]{cbc, HEALTHY, h.cbc(HEALTHY).put("measuredAt", "2026-11-26T07:51:00Z")});
        List<TestCells.Cell> aml = amlCells();
        List<TestCells.Cell> healthy = healthyCells();
        int n = Math.max(aml.size(), healthy.size());
        for (int i = 0; i < n; i++) {
            String t = "2026-11-26T08:00:" + String.format("%02d", i % 60) + "Z";
            if (i < aml.size()) {
                in.add(new Object[]{cap, AML, h.cell(AML, AML + "-S1", AML + "-c" + i, aml.get(i).jpeg()).put("capturedAt", t)});
            }
            if (i < healthy.size()) {
                in.add(new Object[]{cap, HEALTHY, h.cell(HEALTHY, HEALTHY + "-S1", HEALTHY + "-c" + i, healthy.get(i).jpeg())
                        .put("capturedAt", t)});
            }
            if (i == n / 3) {
                in.add(new Object[]{cap, "BAD-1", "{not json".getBytes(StandardCharsets.UTF_8)});
            }
        }
        in.add(new Object[]{cap, AML, h.slideComplete(AML, AML + "-S1", aml.size()).put("completedAt", "2026-11-26T08:05:00Z")});
        in.add(new Object[]{cap, HEALTHY, h.slideComplete(HEALTHY, HEALTHY + "-S1", healthy.size())
                .put("completedAt", "2026-11-26T08:05:00Z")});
        return in;
    }

    private static void send(PipelineHarness h, List<Object[]> in, int from, int to) throws Exception {
        for (int i = from; i < to; i++) {
            Object[] r = in.get(i);
            if (r[2] instanceof byte[] b) {
                h.send((String) r[0], (String) r[1], b);
            } else {
                h.send((String) r[0], (String) r[1], (JsonNode) r[2]);
            }
        }
    }

    /**
     * Every output by its ID, with the times of processing removed; a list per ID (so duplicates show).
     * Preliminary alerts are compared by ID only: which blasts they list depends on batch timing.
     */
    static Map<String, List<JsonNode>> outputsById(PipelineHarness h) {
        Map<String, List<JsonNode>> out = new TreeMap<>();
        for (PipelineHarness.Output o : h.outputs) {
            ObjectNode e = o.event().deepCopy();
            String id;
            if (o.topic().equals(h.config.topics().cellResults())) {
                id = "cell/" + e.get("cellId").asText();
            } else if (o.topic().equals(h.config.topics().blastAlerts())) {
                id = "alert/" + e.get("alertId").asText();
                e.remove("issuedAt");
                if (e.get("stage").asText().equals("preliminary")) {
                    e.retain("alertId", "specimenId", "slideId", "stage");
                }
            } else if (o.topic().equals(h.config.topics().diagnosticScores())) {
                id = "score/" + e.get("scoreId").asText();
                e.remove("issuedAt");
            } else {
                // topic names and record timestamps differ between runs: the key and offset name the record
                id = "dead/" + e.path("source").path("key").asText() + "@" + e.path("source").path("offset").asText();
                e.remove("deadLetteredAt");
                e.remove("source");
            }
            out.computeIfAbsent(id, k -> new ArrayList<>()).add(e);
        }
        return out;
    }

    /** The outputs of a run without faults (computed once, compared by ID and content: topic names differ). */
    private static Map<String, List<JsonNode>> reference;

    private Map<String, List<JsonNode>> reference(KafkaBroker broker) throws Exception {
        if (reference == null) {
            PipelineHarness ref = harness(broker, Map.of("instance.id", "eos-reference"));
            ref.start(PipelineHarness.classifier());
            List<Object[]> refInputs = inputs(ref);
            send(ref, refInputs, 0, refInputs.size());
            int totalCells = amlCells().size() + healthyCells().size();
            await().atMost(Duration.ofSeconds(120)).until(() -> outputsById(ref).keySet().stream()
                    .filter(k -> k.startsWith("score/")).count() == 4 && ref.cellResults().size() == totalCells);
            Thread.sleep(1000);
            reference = outputsById(ref);
            ref.stopService();
            assertThat(reference.values()).allSatisfy(v -> assertThat(v).hasSize(1));
            assertThat(reference.keySet().stream().filter(k -> k.startsWith("dead/"))).hasSize(1);
        }
        return reference;
    }

    /**
     * Kill at three moments: right after the first input (a transaction open, nothing committed yet), with a
     * third of the cells published, and with two thirds published and the whole input on the topics.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "kill at moment {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {0, 1, 2})
    void killedMidStreamAndRestartedEveryOutputAppearsOnceWithTheContentOfARunWithoutTheFault(int moment, KafkaBroker broker)
            throws Exception {
        Map<String, List<JsonNode>> expected = reference(broker);
        int totalCells = amlCells().size() + healthyCells().size();
        PipelineHarness h = harness(broker, Map.of("instance.id", "eos-kill-test-" + moment));
        Counting first = new Counting(PipelineHarness.classifier());
        h.start(first);
        List<Object[]> in = inputs(h);
        int cut = moment == 0 ? in.size() / 3 : moment == 1 ? in.size() * 2 / 3 : in.size();
        send(h, in, 0, cut);
        int visibleBefore = moment == 0 ? 0 : moment == 1 ? totalCells / 3 : totalCells * 2 / 3;
        await().atMost(Duration.ofSeconds(60)).until(() -> h.cellResults().size() >= visibleBefore);
        h.killService(); // no commit, no abort; its Kafka clients stay behind as zombies
        int visibleAtKill = h.cellResults().size();
        send(h, in, cut, in.size());
        Counting second = new Counting(PipelineHarness.classifier());
        long restartedAt = System.nanoTime();
        h.start(second);
        await().atMost(Duration.ofSeconds(120)).until(() -> outputsById(h).keySet().containsAll(expected.keySet()));
        long recoveredMillis = (System.nanoTime() - restartedAt) / 1_000_000;
        Thread.sleep(1500); // anything duplicated would arrive now

        Map<String, List<JsonNode>> actual = outputsById(h);
        assertEachOutputOnceWithTheSameContent(actual, expected);
        // restored, not re-derived: the cells whose results were committed before the kill are not classified again
        assertThat(second.cells.get()).as("cells classified after the restart (visible at kill: %d)", visibleAtKill)
                .isLessThanOrEqualTo(totalCells - visibleAtKill);
        System.out.printf("exactly-once kill test, moment %d: %d outputs, %d cells visible at kill, %d classified after "
                + "restart, all outputs %d ms after restart%n", moment, actual.size(), visibleAtKill, second.cells.get(),
                recoveredMillis);
    }

    @Test
    void aTransactionThatFailsMidStreamIsRedoneFromTheLastCommitWithoutLosingOrDoublingAnOutput(KafkaBroker broker)
            throws Exception {
        PipelineHarness h = harness(broker, Map.of("instance.id", "eos-fence-test"));
        org.hemastream.HemastreamService service = h.start(PipelineHarness.classifier());
        List<Object[]> in = inputs(h);
        int totalCells = amlCells().size() + healthyCells().size();
        send(h, in, 0, in.size() / 2);
        await().atMost(Duration.ofSeconds(60)).until(() -> h.cellResults().size() >= 4);
        // Another producer takes the instance's transactional.id: the service's producer is fenced, its
        // open transaction aborted; it must replace its producer, rebuild from the last commit and redo.
        String txId = h.config.processing().transactionalId(h.config.kafka().groupId());
        try (org.apache.kafka.clients.producer.KafkaProducer<String, byte[]> usurper = new org.apache.kafka.clients.producer.KafkaProducer<>(
                Map.of("bootstrap.servers", broker.bootstrapServers(), "transactional.id", txId),
                new org.apache.kafka.common.serialization.StringSerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            usurper.initTransactions();
        }
        send(h, in, in.size() / 2, in.size());
        await().atMost(Duration.ofSeconds(120)).until(() -> outputsById(h).keySet().stream()
                .filter(k -> k.startsWith("score/")).count() == 4 && h.cellResults().size() >= totalCells);
        Thread.sleep(1500);
        assertThat(service.commitStats().aborted()).as("transactions aborted").isPositive();
        Map<String, List<JsonNode>> actual = outputsById(h);
        actual.forEach((id, copies) -> assertThat(copies).as("copies of %s", id).hasSize(1));
        assertThat(actual.keySet().stream().filter(k -> k.startsWith("cell/"))).hasSize(totalCells);
        assertThat(actual.keySet().stream().filter(k -> k.startsWith("dead/"))).hasSize(1);
    }

    @Test
    void aSecondInstanceJoiningMidStreamTakesPartitionsOverWithoutLosingOrDoublingAnOutput(KafkaBroker broker)
            throws Exception {
        Map<String, List<JsonNode>> expected = reference(broker);
        PipelineHarness a = harness(broker, Map.of("instance.id", "eos-scale-a"));
        a.start(PipelineHarness.classifier());
        Map<String, String> same = new HashMap<>();
        same.put("kafka.group.id", a.config.kafka().groupId());
        same.put("instance.id", "eos-scale-b");
        org.hemastream.config.ServiceConfig.TopicsConfig t = a.config.topics();
        same.put("topics.cbc", t.cbc());
        same.put("topics.captures", t.captures());
        same.put("topics.cellResults", t.cellResults());
        same.put("topics.blastAlerts", t.blastAlerts());
        same.put("topics.diagnosticScores", t.diagnosticScores());
        same.put("topics.deadLetters", t.deadLetters());
        same.put("topics.specimenState", t.specimenState());
        PipelineHarness b = harness(broker, same);
        List<Object[]> in = inputs(a);
        int totalCells = amlCells().size() + healthyCells().size();
        send(a, in, 0, in.size() / 2);
        await().atMost(Duration.ofSeconds(60)).until(() -> a.cellResults().size() >= totalCells / 4);
        org.hemastream.HemastreamService second = b.start(PipelineHarness.classifier()); // rebalance mid-stream
        await().atMost(Duration.ofSeconds(60)).until(second::ready); // the second instance got partitions
        send(a, in, in.size() / 2, in.size());
        await().atMost(Duration.ofSeconds(120)).until(() -> outputsById(a).keySet().containsAll(expected.keySet()));
        Thread.sleep(1500);
        Map<String, List<JsonNode>> actual = outputsById(a);
        assertEachOutputOnceWithTheSameContent(actual, expected);
    }

    @Test
    void lateInputForACompletedSpecimenIsDeadLetteredAndNeverReplacesItsFinalsEvenAfterARestart(KafkaBroker broker)
            throws Exception {
        PipelineHarness h = harness(broker, Map.of("instance.id", "eos-late-test"));
        h.start(PipelineHarness.classifier());
        List<TestCells.Cell> cells = healthyCells();
        String id = "LATE-1";
        h.send(h.config.topics().cbc(), id, h.cbc(id).put("measuredAt", "2026-11-26T07:50:00Z"));
        for (int i = 0; i < cells.size(); i++) {
            h.send(h.config.topics().captures(), id, h.cell(id, id + "-S1", "c" + i, cells.get(i).jpeg()));
        }
        h.send(h.config.topics().captures(), id, h.slideComplete(id, id + "-S1", cells.size()));
        await().atMost(Duration.ofSeconds(60)).until(() -> finals(h, id).size() == 1);
        JsonNode finalScore = finals(h, id).get(0);

        // a late cell and a CBC rerun while the instance that closed the specimen still runs
        h.send(h.config.topics().captures(), id, h.cell(id, id + "-S1", "c-late", cells.get(0).jpeg()));
        h.send(h.config.topics().cbc(), id, h.cbc(id).put("measuredAt", "2026-11-26T09:00:00Z"));
        await().atMost(Duration.ofSeconds(30)).until(() -> h.deadLetters().size() == 2);
        // and a second slide after a restart: the closed marker comes back from the changelog
        h.stopService();
        h.start(PipelineHarness.classifier());
        h.send(h.config.topics().captures(), id, h.cell(id, id + "-S2", "c2-0", cells.get(1).jpeg()));
        await().atMost(Duration.ofSeconds(60)).until(() -> h.deadLetters().size() == 3);
        Thread.sleep(1000);

        assertThat(h.deadLetters()).extracting(d -> d.get("errorCode").asText())
                .containsExactly("LATE_CELL", "LATE_INPUT", "LATE_CELL");
        assertThat(finals(h, id)).containsExactly(finalScore);
        assertThat(h.cellResults()).hasSize(cells.size());
        assertThat(h.events(h.config.topics().diagnosticScores()).stream()
                .filter(s -> s.get("stage").asText().equals("cbc-only"))).hasSize(1);
    }

    private static List<JsonNode> finals(PipelineHarness h, String specimenId) {
        return h.events(h.config.topics().diagnosticScores()).stream()
                .filter(s -> s.get("specimenId").asText().equals(specimenId) && s.get("stage").asText().equals("final"))
                .toList();
    }
}
