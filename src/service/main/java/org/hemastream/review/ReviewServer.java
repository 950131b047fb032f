package org.hemastream.review;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.hemastream.config.ServiceConfig;
import org.hemastream.events.EventSchemas;
import org.hemastream.observability.HttpAccess;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The review page a blast alert links to, and its API. A separate process with one replica ({@code review}), or
 * in-process in the demo. Everything it shows comes from Kafka (see {@link ReviewFeed}, {@link CaptureImages});
 * every decision goes to {@code hema.alert-reviews} as an {@code alert-review} event, answered only once the
 * broker acknowledged it (idempotent producer, {@code acks=all}).
 *
 * <p>Routes: {@code /} (open alerts) and {@code /alerts/{alertId}} (the page), {@code /api/alerts},
 * {@code /api/alerts/{alertId}}, {@code /api/alerts/{alertId}/images} (a slide's images in one answer),
 * {@code /api/captures/{partition}/{offset}} (one cell image), {@code POST
 * /api/reviews}, {@code /api/me}; {@code /metrics} (behind {@code http.auth.tokenFile} when set) and
 * {@code /health/ready} without a reviewer. TLS, like every HTTP server of the service, from {@link HttpAccess}. Every other route
 * needs a reviewer ({@link Reviewers}): images are patient material, and no decision is anonymous. A POST must be
 * {@code application/json} from the same origin, which a cross-site form cannot send (no CSRF with Basic auth).
 */
public final class ReviewServer {

    private static final Logger log = LoggerFactory.getLogger(ReviewServer.class);

    private final Vertx vertx;
    private final ReviewConfig config;
    private final Reviewers reviewers;
    private final ReviewInbox inbox = new ReviewInbox();
    private final ReviewMetrics metrics = new ReviewMetrics(inbox);
    private final EventSchemas schemas = new EventSchemas();
    private ReviewFeed feed;
    private CaptureImages captures;
    private KafkaProducer<String, byte[]> producer;
    private HttpServer server;

    private ReviewServer(Vertx vertx, ReviewConfig config) {
        this.vertx = vertx;
        this.config = config;
        this.reviewers = Reviewers.load(config);
    }

    /** Starts the feed, the image reader, the producer and the HTTP server; completes when the page is served. */
    public static Future<ReviewServer> start(Vertx vertx, ReviewConfig config) {
        ReviewServer server = new ReviewServer(vertx, config);
        return vertx.executeBlocking(() -> {
            server.openKafka();
            return server;
        }, false).compose(s -> s.listen());
    }

    /** Kafka clients of the review server: the given settings without any group or transaction identity. */
    static Map<String, Object> clientSettings(ReviewConfig config) {
        Map<String, Object> s = new HashMap<>(config.kafkaClientSettings());
        List.of("group.id", "group.instance.id", "transactional.id", "partition.assignment.strategy").forEach(s::remove);
        s.put("bootstrap.servers", config.bootstrapServers());
        return s;
    }

    private void openKafka() throws Exception {
        Map<String, Object> base = clientSettings(config);
        try (Admin admin = Admin.create(base)) {
            admin.createTopics(List.of(new NewTopic(config.topics().alertReviews(), Optional.empty(), Optional.empty())))
                    .all().get(30, TimeUnit.SECONDS);
            log.info("created topic {}", config.topics().alertReviews());
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create " + config.topics().alertReviews() + ": " + e.getCause().getMessage(), e);
            }
        }
        Map<String, Object> consumer = new HashMap<>(base);
        consumer.put("isolation.level", "read_committed");
        consumer.put("enable.auto.commit", "false");
        consumer.put("max.poll.records", "2000");
        schemas.warmUp();
        feed = new ReviewFeed(consumer, config.topics(), inbox).start();
        captures = new CaptureImages(consumer, config.topics().captures(), config.imageCacheBytes());
        Map<String, Object> producerSettings = new HashMap<>(base);
        producerSettings.put("acks", "all");
        producerSettings.put("enable.idempotence", "true");
        producer = new KafkaProducer<>(producerSettings, new StringSerializer(), new ByteArraySerializer());
    }

    private Future<ReviewServer> listen() {
        Router router = Router.router(vertx);
        router.get("/health/ready").handler(ctx -> ctx.response().setStatusCode(feed.caughtUp().isDone() ? 200 : 503)
                .end(feed.caughtUp().isDone() ? "UP" : "DOWN: reading the topics"));
        io.vertx.core.Handler<RoutingContext> token = HttpAccess.bearerToken(config.http());
        if (token != null) {
            router.get("/metrics").handler(token);
        }
        router.get("/metrics").handler(ctx -> vertx.executeBlocking(metrics::scrape, false)
                .onSuccess(text -> ctx.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(text))
                .onFailure(ctx::fail));
        router.route().handler(this::identify);
        router.get("/").handler(ctx -> ctx.reroute("/static/index.html"));
        router.get("/alerts/:alertId").handler(ctx -> ctx.reroute("/static/index.html"));
        router.get("/static/*").handler(StaticHandler.create("review-page").setMaxAgeSeconds(300));
        router.get("/api/me").handler(ctx -> json(ctx, 200, new JsonObject().put("name", reviewer(ctx).name())));
        router.get("/api/alerts").handler(ctx -> json(ctx, 200, new JsonArray(inbox.alerts())));
        router.get("/api/alerts/:alertId").handler(this::slide);
        router.get("/api/alerts/:alertId/images").handler(this::slideImages);
        router.get("/api/captures/:partition/:offset").handler(this::image);
        router.post("/api/reviews").handler(BodyHandler.create().setBodyLimit(256 * 1024)).handler(this::review);
        ServiceConfig.HttpConfig http = config.http();
        return vertx.createHttpServer(HttpAccess.serverOptions(http)).requestHandler(router).listen()
                .recover(e -> Future.failedFuture(new IllegalStateException("review.port " + http.port()
                        + ": cannot listen on " + http.host() + ":" + http.port() + ": " + e.getMessage(), e)))
                .map(s -> {
                    server = s;
                    log.info("review page on port {} (reviewers file: {}, identity header: {})", s.actualPort(),
                            config.reviewersFile() != null, config.identityHeader() != null);
                    return this;
                });
    }

    private void identify(RoutingContext ctx) {
        Optional<Reviewers.Reviewer> who = reviewers.identify(ctx.request()::getHeader);
        if (who.isPresent()) {
            ctx.put("reviewer", who.get());
            ctx.next();
            return;
        }
        if (reviewers.offersBasic()) {
            ctx.response().putHeader("WWW-Authenticate", "Basic realm=\"hemastream review\", charset=\"UTF-8\"");
        }
        error(ctx, 401, "sign in as a reviewer (name and token)");
    }

    private static Reviewers.Reviewer reviewer(RoutingContext ctx) {
        return ctx.get("reviewer");
    }

    private void slide(RoutingContext ctx) {
        inbox.slide(ctx.pathParam("alertId")).ifPresentOrElse(s -> json(ctx, 200, s), () -> error(ctx, 404, "unknown alert"));
    }

    /**
     * The images of a slide's cells in one answer, {@code cellId → data: URI}: those the alert lists
     * ({@code ?listed=true}) or the others ({@code ?listed=false}). Read from Kafka in one pass per partition; one
     * request instead of one per cell is what puts a hundred cells on screen in well under a second (a browser
     * opens only six HTTP/1.1 connections per server). Cells whose image is gone are left out.
     */
    private void slideImages(RoutingContext ctx) {
        Optional<JsonObject> slide = inbox.slide(ctx.pathParam("alertId"));
        if (slide.isEmpty()) {
            error(ctx, 404, "unknown alert");
            return;
        }
        boolean listed = !"false".equals(ctx.request().getParam("listed"));
        Map<String, JsonObject> wanted = new java.util.LinkedHashMap<>();
        Map<Integer, List<Long>> positions = new HashMap<>();
        for (Object o : slide.get().getJsonArray("cells")) {
            JsonObject cell = (JsonObject) o;
            JsonObject capture = cell.getJsonObject("capture");
            if (capture != null && cell.getBoolean("listed") == listed) {
                wanted.put(cell.getString("cellId"), capture);
                positions.computeIfAbsent(capture.getInteger("partition"), p -> new java.util.ArrayList<>()).add(capture.getLong("offset"));
            }
        }
        vertx.executeBlocking(() -> {
            captures.prefetch(positions);
            JsonObject images = new JsonObject();
            wanted.forEach((cellId, capture) -> {
                CaptureImages.Image image = captures.cached(capture.getInteger("partition"), capture.getLong("offset"));
                if (image != null) {
                    images.put(cellId, "data:" + image.contentType() + ";base64," + java.util.Base64.getEncoder().encodeToString(image.bytes()));
                }
            });
            return images;
        }, false).onSuccess(images -> json(ctx, 200, images)).onFailure(e -> error(ctx, 503, e.getMessage()));
    }

    private void image(RoutingContext ctx) {
        int partition;
        long offset;
        try {
            partition = Integer.parseInt(ctx.pathParam("partition"));
            offset = Long.parseLong(ctx.pathParam("offset"));
        } catch (NumberFormatException e) {
            error(ctx, 400, "partition and offset are numbers");
            return;
        }
        CaptureImages.Image inMemory = captures.cached(partition, offset);
        Future<Optional<CaptureImages.Image>> image = inMemory != null ? Future.succeededFuture(Optional.of(inMemory))
                : vertx.executeBlocking(() -> captures.image(partition, offset), false);
        image.onSuccess(found -> found.ifPresentOrElse(
                        i -> ctx.response().putHeader("content-type", i.contentType())
                                .putHeader("cache-control", "private, max-age=31536000, immutable").end(Buffer.buffer(i.bytes())),
                        () -> error(ctx, 404, "no cell image at " + partition + "@" + offset + " (gone with the topic's retention?)")))
                .onFailure(e -> error(ctx, 503, e.getMessage()));
    }

    private void review(RoutingContext ctx) {
        String contentType = ctx.request().getHeader("content-type");
        String origin = ctx.request().getHeader("origin");
        if (contentType == null || !contentType.startsWith("application/json")) {
            error(ctx, 415, "reviews are posted as application/json");
            return;
        }
        // the Host header as the browser sent it (Vert.x Web's authority() would also believe Forwarded headers)
        String host = ctx.request().getHeader("Host");
        if (origin != null && (host == null || !origin.endsWith("//" + host))) {
            error(ctx, 403, "reviews are accepted from this server's own page only");
            return;
        }
        JsonObject event;
        try {
            event = ReviewDecision.event(ctx.body().asJsonObject(), inbox, reviewer(ctx), Instant.now());
        } catch (ReviewDecision.Refused e) {
            error(ctx, e.status(), e.getMessage());
            return;
        } catch (DecodeException | ClassCastException e) {
            error(ctx, 400, "the body is not a JSON object");
            return;
        }
        List<String> violations = schemas.validate("alert-review",
                io.vertx.core.json.jackson.DatabindCodec.mapper().valueToTree(event.getMap()));
        if (!violations.isEmpty()) {
            error(ctx, 400, "review does not match its schema: " + String.join("; ", violations));
            return;
        }
        Promise<Void> acked = Promise.promise();
        producer.send(new ProducerRecord<>(config.topics().alertReviews(), event.getString("specimenId"),
                event.encode().getBytes(StandardCharsets.UTF_8)), (md, e) -> {
            if (e == null) {
                acked.complete();
            } else {
                acked.fail(e);
            }
        });
        acked.future().onComplete(done -> vertx.runOnContext(v -> {
            if (done.succeeded()) {
                inbox.review(event);
                metrics.published();
                log.info("review {} of alert {} by {}: {}", event.getString("reviewId"), event.getString("alertId"),
                        reviewer(ctx).authenticatedBy(), event.getString("verdict", "cells only"));
                json(ctx, 201, event);
            } else {
                error(ctx, 503, "the review could not be written to Kafka, nothing was recorded: " + done.cause().getMessage());
            }
        }));
    }

    private static void json(RoutingContext ctx, int status, Object body) {
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json; charset=utf-8")
                .putHeader("cache-control", "no-store").end(body instanceof JsonObject o ? o.encode() : ((JsonArray) body).encode());
    }

    private static void error(RoutingContext ctx, int status, String message) {
        json(ctx, status, new JsonObject().put("error", message));
    }

    /** The port actually bound (review.port=0 picks one). */
    public int port() {
        return server.actualPort();
    }

    /** Completes once the topics' history present at start is read. */
    public Future<Void> caughtUp() {
        return Future.fromCompletionStage(feed.caughtUp());
    }

    public Future<Void> stop() {
        return server.close().compose(v -> vertx.executeBlocking(() -> {
            feed.close();
            captures.close();
            producer.close(java.time.Duration.ofSeconds(5));
            return null;
        }, false));
    }
}
