package org.hemastream.review;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.hemastream.config.Settings;
import org.hemastream.kafka.KafkaBroker;
import org.hemastream.kafka.KafkaBrokerExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The review server over plain HTTP against a real broker (no browser): who may read and write, images read back
 * from the captures topic, and a decision's way to the reviews topic.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ReviewServerTest {

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();
    private final String token = Reviewers.newToken();
    private Vertx vertx;
    private ReviewFixture slide;
    private ReviewServer server;

    @BeforeEach
    void start(KafkaBroker broker) throws Exception {
        vertx = Vertx.vertx();
        slide = new ReviewFixture(broker, 12, 3);
        Path reviewers = dir.resolve("reviewers.txt");
        Files.writeString(reviewers, Reviewers.fileLine("Dr. Ana Souza", token) + "\n");
        Map<String, String> s = new HashMap<>(slide.settings);
        s.put("review.reviewersFile", reviewers.toString());
        s.put("review.port", "0");
        s.put("review.host", "127.0.0.1");
        s.put("kafka.group.id", "must-not-be-used-by-the-review-server");
        server = ReviewServer.start(vertx, ReviewConfig.from(Settings.defaults().with(s))).await(60, TimeUnit.SECONDS);
        server.caughtUp().await(60, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        server.stop().await(20, TimeUnit.SECONDS);
        vertx.close().await(10, TimeUnit.SECONDS);
        slide.close();
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).timeout(Duration.ofSeconds(30));
    }

    private HttpRequest.Builder signedIn(String path) {
        return request(path).header("Authorization", "Basic " + Base64.getEncoder()
                .encodeToString(("Dr. Ana Souza:" + token).getBytes(StandardCharsets.UTF_8)));
    }

    private HttpResponse<String> send(HttpRequest.Builder r) throws Exception {
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void nothingIsShownToAnAnonymousCaller() throws Exception {
        HttpResponse<String> anonymous = send(request("/api/alerts"));
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Basic"));
        ReviewFixture.Cell cell = slide.cells.get(0);
        assertThat(send(request("/api/captures/" + cell.partition() + "/" + cell.offset())).statusCode()).isEqualTo(401);
        assertThat(send(request("/alerts/" + slide.alertId)).statusCode()).isEqualTo(401);
        assertThat(send(request("/health/ready")).statusCode()).isEqualTo(200);
    }

    @Test
    void theSlideComesWithItsCbcHistoryAndEveryCellsImageFromTheCaptureRecord() throws Exception {
        JsonArray alerts = new JsonArray(send(signedIn("/api/alerts")).body());
        assertThat(alerts).hasSize(1);
        JsonObject detail = new JsonObject(send(signedIn("/api/alerts/" + slide.alertId)).body());
        assertThat(detail.getJsonArray("cells")).hasSize(12);
        assertThat(detail.getJsonArray("cells").stream().filter(c -> ((JsonObject) c).getBoolean("listed")).count()).isEqualTo(3);
        assertThat(detail.getJsonObject("cbc").getJsonArray("flags")).contains("Blasts?");
        assertThat(detail.getJsonArray("history")).hasSize(1);

        for (ReviewFixture.Cell cell : List.of(slide.cells.get(0), slide.cells.get(11))) {
            HttpResponse<byte[]> image = http.send(signedIn("/api/captures/" + cell.partition() + "/" + cell.offset()).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(image.statusCode()).isEqualTo(200);
            assertThat(image.headers().firstValue("content-type")).contains("image/jpeg");
            assertThat(image.body()).isEqualTo(cell.source().jpeg());
        }
        JsonObject listed = new JsonObject(send(signedIn("/api/alerts/" + slide.alertId + "/images?listed=true")).body());
        assertThat(listed.fieldNames()).containsExactlyInAnyOrder(slide.cells.get(0).cellId(), slide.cells.get(1).cellId(),
                slide.cells.get(2).cellId());
        assertThat(Base64.getDecoder().decode(listed.getString(slide.cells.get(2).cellId()).substring("data:image/jpeg;base64,".length())))
                .isEqualTo(slide.cells.get(2).source().jpeg());
        assertThat(new JsonObject(send(signedIn("/api/alerts/" + slide.alertId + "/images?listed=false")).body()).size()).isEqualTo(9);
        ReviewFixture.Cell last = slide.cells.get(11);
        assertThat(send(signedIn("/api/captures/" + last.partition() + "/" + (last.offset() + 1))).statusCode())
                .as("the slide-complete record is no cell image").isEqualTo(404);
        assertThat(send(signedIn("/api/captures/" + last.partition() + "/999999")).statusCode()).isEqualTo(404);
    }

    @Test
    void aDecisionIsOnTheReviewsTopicBeforeTheServerAnswers() throws Exception {
        String cellId = slide.cells.get(1).cellId();
        String body = new JsonObject().put("alertId", slide.alertId).put("verdict", "confirmed")
                .put("cells", new JsonArray().add(new JsonObject().put("cellId", cellId).put("decision", "non_blast"))).encode();

        HttpResponse<String> answer = send(signedIn("/api/reviews").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));

        assertThat(answer.statusCode()).isEqualTo(201);
        List<ConsumerRecord<String, String>> onTopic = reviews();
        assertThat(onTopic).hasSize(1);
        assertThat(onTopic.get(0).key()).isEqualTo(slide.specimenId);
        JsonObject review = new JsonObject(onTopic.get(0).value());
        assertThat(review.getString("reviewId")).isEqualTo(new JsonObject(answer.body()).getString("reviewId"));
        assertThat(review.getJsonObject("reviewer")).isEqualTo(new JsonObject().put("name", "Dr. Ana Souza")
                .put("authenticatedBy", "reviewers-file"));
        assertThat(review.getJsonArray("cells").getJsonObject(0).getJsonObject("capture").getLong("offset"))
                .isEqualTo(slide.cells.get(1).offset());
        String metrics = send(request("/metrics")).body();
        assertThat(metrics).contains("hemastream_review_slides{verdict=\"confirmed\"} 1.0")
                .contains("hemastream_review_cells{model=\"blast\",reviewer=\"not_blast\"} 1.0");
        try (var admin = org.apache.kafka.clients.admin.Admin.create(Map.<String, Object>of("bootstrap.servers",
                slide.settings.get("kafka.bootstrap.servers")))) {
            assertThat(admin.listGroups().all().get(30, TimeUnit.SECONDS))
                    .as("the review server reads without a group: it never commits positions of the service's inputs")
                    .noneMatch(g -> g.groupId().equals("must-not-be-used-by-the-review-server"));
        }
    }

    @Test
    void postsFromAnotherSiteOrAsAFormAreRefused() throws Exception {
        String body = new JsonObject().put("alertId", slide.alertId).put("verdict", "rejected").encode();
        assertThat(send(signedIn("/api/reviews").header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString(body))).statusCode()).isEqualTo(415);
        assertThat(send(signedIn("/api/reviews").header("Content-Type", "application/json").header("Origin", "https://evil.example")
                .POST(HttpRequest.BodyPublishers.ofString(body))).statusCode()).isEqualTo(403);
        assertThat(send(request("/api/reviews").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))).statusCode()).isEqualTo(401);
        assertThat(send(signedIn("/api/reviews").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"alertId\":\"" + slide.alertId + "\",\"verdict\":\"perhaps\"}"))).statusCode())
                .isEqualTo(400);
        assertThat(reviews()).isEmpty();
    }

    private List<ConsumerRecord<String, String>> reviews() {
        String topic = slide.settings.get("topics.alertReviews");
        List<ConsumerRecord<String, String>> out = new ArrayList<>();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(Map.of("bootstrap.servers", slide.settings.get("kafka.bootstrap.servers"),
                "isolation.level", "read_committed"), new StringDeserializer(), new StringDeserializer())) {
            var partitions = c.partitionsFor(topic).stream().map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition())).toList();
            c.assign(partitions);
            c.seekToBeginning(partitions);
            var ends = c.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> c.position(tp) < ends.get(tp))) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }
}
