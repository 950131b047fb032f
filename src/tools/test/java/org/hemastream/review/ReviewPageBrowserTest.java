package org.hemastream.review;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.hemastream.HemastreamService;
import org.hemastream.cli.DemoReview;
import org.hemastream.config.ServiceConfig;
import org.hemastream.config.Settings;
import org.hemastream.events.EventSchemas;
import org.hemastream.kafka.KafkaBroker;
import org.hemastream.kafka.KafkaBrokerExtension;
import org.hemastream.sim.AnalyzerLineSimulator;
import org.hemastream.sim.DemoPack;
import org.hemastream.sim.SimulationOptions;
import org.hemastream.sim.Specimen;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The review page in a real browser (Debian's headless Chromium over the DevTools Protocol) against the demo's
 * real alerts: the demo pack's AML and APL smears through the real service and model, the review page started
 * the way {@code demo} starts it. The images render, a click and a key record decisions, and the review arrives
 * on the reviews topic with the right fields (read back by a plain {@code read_committed} consumer).
 *
 * <p>Skipped when Chromium is not installed, except under {@code HEMASTREAM_REQUIRE_CHROMIUM=1}, which
 * {@code .ci/run} sets after installing it. Screenshots and the measured load times go to {@code target/review-page/}
 * (the README's screenshots under {@code docs/} are copies); the times are reported, not asserted.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ReviewPageBrowserTest {

    private static final Logger log = LoggerFactory.getLogger(ReviewPageBrowserTest.class);
    private static final Path OUT = Path.of("target/review-page");
    private static final String AML = "DEMO-AML-92";
    private static final String APL = "DEMO-APL-69";

    private final ObjectMapper mapper = new ObjectMapper();

    @Test
    void aHematologistReviewsADemoAlertInHeadlessChromium(KafkaBroker broker) throws Exception {
        Optional<Path> binary = Chromium.binary();
        if ("1".equals(System.getenv("HEMASTREAM_REQUIRE_CHROMIUM"))) {
            assertThat(binary).as("HEMASTREAM_REQUIRE_CHROMIUM=1 but no Chromium is installed").isPresent();
        }
        Assumptions.assumeTrue(binary.isPresent(), "Chromium is not installed (apt-get install chromium; .ci/run does)");

        Map<String, String> s = new HashMap<>();
        s.put("kafka.bootstrap.servers", broker.bootstrapServers());
        s.put("kafka.group.id", broker.freshTopic("group"));
        for (String t : List.of("cbc", "captures", "cellResults", "blastAlerts", "diagnosticScores", "deadLetters",
                "specimenState", "alertReviews")) {
            s.put("topics." + t, broker.freshTopic(t));
        }
        s.put("topics.partitions", "2");
        s.put("http.port", "0");
        s.put("http.host", "127.0.0.1");
        s.put("review.port", "0");
        s.put("review.host", "127.0.0.1");
        Settings settings = Settings.defaults().with(s);
        ServiceConfig config = ServiceConfig.from(settings);
        Vertx vertx = Vertx.vertx();
        DemoReview review = DemoReview.start(vertx, settings, config);
        HemastreamService service = HemastreamService.start(vertx, config.withReviewBaseUrl(review.baseUrl()))
                .await(180, TimeUnit.SECONDS);
        try {
            List<Specimen> specimens = DemoPack.load().specimens().stream()
                    .filter(x -> x.specimenId().equals(AML) || x.specimenId().equals(APL)).toList();
            try (AnalyzerLineSimulator sim = AnalyzerLineSimulator.connect(broker.bootstrapServers(),
                    SimulationOptions.defaults().withCellsPerSecond(400).withTopics(config.topics().cbc(), config.topics().captures()),
                    Map.of())) {
                sim.run(specimens);
            }
            JsonNode alert = finalAlert(broker, config.topics().blastAlerts(), AML);
            String reviewUrl = alert.get("reviewUrl").asText();
            assertThat(reviewUrl).isEqualTo(review.baseUrl() + "/alerts/" + alert.get("alertId").asText());
            int cells = alert.get("classifiedCells").asInt();

            try (Chromium browser = new Chromium(binary.get(), 1180, 820)) {
                String credentials = "demo:" + review.token();
                browser.headers(Map.of("Authorization",
                        "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8))));

                browser.navigate(review.baseUrl() + "/");
                browser.await("document.querySelectorAll('tr.row').length >= 2", Duration.ofSeconds(60));
                browser.screenshot(OUT.resolve("review-page-alerts.png"));

                browser.navigate(reviewUrl);
                JsonNode listed = browser.await("window.reviewTiming && window.reviewTiming.listed", Duration.ofSeconds(60));
                assertThat(listed.get("cells").asInt()).isEqualTo(alert.get("blastCells").size());
                assertThat(browser.eval("[...document.querySelectorAll('#listed img')]"
                        + ".filter(i => i.complete && i.naturalWidth > 0).length").asInt())
                        .as("every flagged cell's image renders").isEqualTo(listed.get("cells").asInt());
                browser.press("x");
                JsonNode others = browser.await("window.reviewTiming.others", Duration.ofSeconds(60));
                assertThat(browser.eval("[...document.querySelectorAll('.cell img')]"
                        + ".filter(i => i.complete && i.naturalWidth > 0).length").asInt())
                        .as("every classified cell of the slide renders").isEqualTo(cells);
                browser.eval("window.scrollTo(0, 0)");
                browser.screenshot(OUT.resolve("review-page-slide.png"));

                // a click on a cell and its "Not" button, a key for the next cell, a key for the slide verdict
                String first = browser.eval("document.querySelectorAll('#listed .cell')[0].dataset.cell").asText();
                String second = browser.eval("document.querySelectorAll('#listed .cell')[1].dataset.cell").asText();
                browser.click("#listed .cell:nth-child(1) img");
                browser.click("#listed .cell.sel button[data-d=non_blast]");
                browser.click("#listed .cell:nth-child(2) img");
                browser.press("b");
                assertThat(browser.eval("document.getElementById('count').textContent").asText()).startsWith("2 cell decisions");
                browser.press("c");
                JsonNode answered = browser.await("window.lastReview", Duration.ofSeconds(30));
                browser.await("document.querySelector('.revs')", Duration.ofSeconds(30));
                browser.eval("window.scrollTo(0, 0)");
                browser.screenshot(OUT.resolve("review-page-reviewed.png"));

                JsonNode onTopic = reviewOnTopic(broker, config.topics().alertReviews());
                assertThat(onTopic.get("reviewId").asText()).isEqualTo(answered.get("reviewId").asText());
                assertThat(new EventSchemas().validate("alert-review", onTopic)).isEmpty();
                assertThat(onTopic.get("specimenId").asText()).isEqualTo(AML);
                assertThat(onTopic.get("alertId").asText()).isEqualTo(alert.get("alertId").asText());
                assertThat(onTopic.get("alertStage").asText()).isEqualTo("final");
                assertThat(onTopic.get("verdict").asText()).isEqualTo("confirmed");
                assertThat(onTopic.get("modelVersion").asText()).isEqualTo(alert.get("modelVersion").asText());
                assertThat(onTopic.at("/reviewer/name").asText()).isEqualTo("demo");
                assertThat(onTopic.at("/reviewer/authenticatedBy").asText()).isEqualTo("reviewers-file");
                assertThat(onTopic.get("cells")).hasSize(2);
                assertThat(onTopic.at("/cells/0/cellId").asText()).isEqualTo(first);
                assertThat(onTopic.at("/cells/0/decision").asText()).isEqualTo("non_blast");
                assertThat(onTopic.at("/cells/1/cellId").asText()).isEqualTo(second);
                assertThat(onTopic.at("/cells/1/decision").asText()).isEqualTo("blast");
                assertThat(onTopic.at("/cells/0/capture/offset").isIntegralNumber()).isTrue();

                // the same slide on a tablet held upright
                browser.call("Emulation.setDeviceMetricsOverride", Map.of("width", 820, "height", 1180,
                        "deviceScaleFactor", 1, "mobile", true));
                browser.navigate(reviewUrl);
                JsonNode warm = browser.await("window.reviewTiming && window.reviewTiming.listed", Duration.ofSeconds(60));
                browser.screenshot(OUT.resolve("review-page-tablet-portrait.png"));

                String timing = String.format("flagged cells: %d on screen in %d ms (cold: images read from Kafka; "
                                + "of it %d ms the slide's data, the rest its images in one request); "
                                + "the other %d in %d ms; all %d cells in %d ms; reload (warm) %d ms%n",
                        listed.get("cells").asInt(), listed.get("ms").asInt(), listed.get("dataMs").asInt(),
                        others.get("cells").asInt(), others.get("ms").asInt(), cells,
                        listed.get("ms").asInt() + others.get("ms").asInt(), warm.get("ms").asInt());
                Files.writeString(OUT.resolve("timing.txt"), timing);
                log.info("review page timing: {}", timing.strip());
            }
        } finally {
            service.stop().await(30, TimeUnit.SECONDS);
            review.stop();
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    private JsonNode finalAlert(KafkaBroker broker, String topic, String specimenId) throws Exception {
        List<JsonNode> found = read(broker, topic, Duration.ofSeconds(120),
                a -> a.get("specimenId").asText().equals(specimenId) && a.get("stage").asText().equals("final"));
        return found.get(0);
    }

    private JsonNode reviewOnTopic(KafkaBroker broker, String topic) throws Exception {
        List<JsonNode> reviews = read(broker, topic, Duration.ofSeconds(30), r -> true);
        assertThat(reviews).hasSize(1);
        return reviews.get(0);
    }

    /** Reads the topic read_committed until a matching event shows up, then returns every match so far. */
    private List<JsonNode> read(KafkaBroker broker, String topic, Duration timeout,
                                java.util.function.Predicate<JsonNode> wanted) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", broker.bootstrapServers(),
                "group.id", broker.freshTopic("reader"), "auto.offset.reset", "earliest", "isolation.level", "read_committed"),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (out.isEmpty() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    JsonNode e = mapper.readTree(r.value());
                    assertThat(r.key()).isEqualTo(e.get("specimenId").asText());
                    if (wanted.test(e)) {
                        out.add(e);
                    }
                }
            }
            out.addAll(pollMore(consumer, wanted));
        }
        assertThat(out).as("events on " + topic).isNotEmpty();
        return out;
    }

    private List<JsonNode> pollMore(KafkaConsumer<String, byte[]> consumer, java.util.function.Predicate<JsonNode> wanted)
            throws Exception {
        List<JsonNode> more = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
            JsonNode e = mapper.readTree(r.value());
            if (wanted.test(e)) {
                more.add(e);
            }
        }
        return more;
    }
}
