package org.hemastream;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.ThreadingModel;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.apache.kafka.clients.admin.Admin;
import org.hemastream.config.ConfigException;
import org.hemastream.config.ServiceConfig;
import org.hemastream.diagnosis.CellVocabulary;
import org.hemastream.diagnosis.DiagnosticModel;
import org.hemastream.diagnosis.DiagnosticScorer;
import org.hemastream.diagnosis.FeatureAssembler;
import org.hemastream.inference.BatchClassifier;
import org.hemastream.inference.CellClassifier;
import org.hemastream.inference.ClassifierConfig;
import org.hemastream.inference.ImageDecoder;
import org.hemastream.inference.ImageLimits;
import org.hemastream.inference.OnnxBatchClassifier;
import org.hemastream.ingest.KafkaClients;
import org.hemastream.ingest.SpecimenConsumerVerticle;
import org.hemastream.kafka.ChangelogTopic;
import org.hemastream.kafka.KafkaProblems;
import org.hemastream.kafka.Replication;
import org.hemastream.kafka.Topics;
import org.hemastream.observability.HttpVerticle;
import org.hemastream.observability.ServiceMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One running hemastream instance: the cell model loaded, the diagnostic model loaded and checked
 * against it (every feature it needs must be one the cell model can supply), HTTP serving metrics and
 * health, the topics checked (created when missing, input partition counts equal) and the ingest verticle
 * consuming.
 *
 * <p>Start-up in two steps, so that an instance that cannot reach Kafka is visible rather than gone:
 * {@link #launch} loads the models and listens on HTTP (a taken port fails here, before Kafka is touched);
 * then the instance connects to Kafka in the background — while Kafka does not answer it logs the address it
 * tried, reports not-ready ({@code /health/ready} 503, check {@code kafka} DOWN) and retries with back-off.
 * {@link #connected} completes once the consumer is subscribed, or fails on what retrying cannot fix
 * (authentication refused, topics not co-partitioned, a replication factor the cluster cannot honour).
 * {@link #start} is both steps.
 */
public final class HemastreamService {

    private static final Logger log = LoggerFactory.getLogger(HemastreamService.class);
    /** How long one attempt to reach Kafka may take before it counts as unreachable. */
    private static final long KAFKA_ATTEMPT_MILLIS = 15_000;
    private static final long RETRY_MIN_MILLIS = 2_000;
    private static final long RETRY_MAX_MILLIS = 30_000;

    private final Vertx vertx;
    private final ServiceConfig config;
    private final BatchClassifier classifier;
    private final ServiceMetrics metrics;
    private final List<String> deployments = new CopyOnWriteArrayList<>();
    private final AutoCloseable resources;
    private final DiagnosticScorer scorer;
    private final Promise<HemastreamService> connected = Promise.promise();
    private HttpVerticle http;
    private volatile SpecimenConsumerVerticle ingest;
    private volatile String kafkaProblem;
    private volatile boolean stopping;
    private Future<Void> stopped;
    private volatile long retryTimer = -1;
    private long retryDelay = RETRY_MIN_MILLIS;

    private HemastreamService(Vertx vertx, ServiceConfig config, BatchClassifier classifier, ServiceMetrics metrics,
                              AutoCloseable resources, DiagnosticScorer scorer) {
        this.vertx = vertx;
        this.config = config;
        this.classifier = classifier;
        this.metrics = metrics;
        this.resources = resources;
        this.scorer = scorer;
        this.kafkaProblem = "connecting to " + config.kafka().bootstrapServers();
    }

    /**
     * Loads the configured (or reference) diagnostic model and checks it against the cell model.
     * Blocking.
     *
     * @throws IllegalArgumentException naming every feature the cell model cannot supply
     */
    public static DiagnosticScorer loadScorer(ServiceConfig config, BatchClassifier classifier) throws Exception {
        DiagnosticModel model = DiagnosticModel.loadOrReference(config.diagnosis().model());
        try {
            DiagnosticScorer scorer = new DiagnosticScorer(model, new FeatureAssembler(CellVocabulary.of(classifier.metadata())),
                    classifier.modelVersion(), config.diagnosis().topFeatures());
            log.info("diagnostic model {} loaded from {}: classes {}, {} features, all suppliable by cell model {}",
                    model.version(), model.source(), model.classes(), model.features().size(), classifier.modelVersion());
            return scorer;
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** Loads the reference (or configured) ONNX cell model. Blocking: call on a worker or at start-up. */
    public static OnnxBatchClassifier loadClassifier(ServiceConfig config) throws Exception {
        ServiceConfig.InferenceConfig inf = config.inference();
        ClassifierConfig cc = ClassifierConfig.defaults().withModelPath(inf.model())
                .withExecutionProvider(inf.executionProvider()).withThreads(inf.intraOpThreads(), 1)
                .withImageLimits(inf.maxImageBytes(), inf.maxImagePixels()).withSiteProfile(inf.siteProfile());
        ImageDecoder decoder = imageDecoder(inf);
        log.info("JPEG decoder: {}", decoder.describeJpegDecoder());
        CellClassifier classifier = CellClassifier.open(cc);
        log.info("cell model {} loaded from {} on {} (SHA-256 {}); site profile: {}", classifier.metadata().modelVersion(),
                classifier.source(), classifier.executionProvider(), classifier.modelSha256(),
                inf.siteProfile() == null ? "none" : inf.siteProfile());
        return new OnnxBatchClassifier(classifier, decoder);
    }

    /**
     * The configured image decoder.
     *
     * @throws ConfigException naming {@code inference.jpegDecoder} when it is {@code turbojpeg} and the library does not load
     */
    static ImageDecoder imageDecoder(ServiceConfig.InferenceConfig inf) {
        try {
            return new ImageDecoder(new ImageLimits(inf.maxImageBytes(), inf.maxImagePixels()), inf.jpegDecoder());
        } catch (IllegalStateException e) {
            throw new ConfigException("inference.jpegDecoder", e.getMessage());
        }
    }

    /** Starts with the model the configuration names; completes once the consumer is subscribed. */
    public static Future<HemastreamService> start(Vertx vertx, ServiceConfig config) {
        return launch(vertx, config).compose(HemastreamService::whenConnected);
    }

    /**
     * Starts with a given classifier (tests wrap the real one, e.g. to slow it down); completes once the
     * consumer is subscribed.
     *
     * @param resources closed when the service stops
     */
    public static Future<HemastreamService> start(Vertx vertx, ServiceConfig config, BatchClassifier classifier,
                                                  AutoCloseable resources) {
        return launch(vertx, config, classifier, resources).compose(HemastreamService::whenConnected);
    }

    /** Loads the configured models and listens on HTTP; connects to Kafka in the background ({@link #connected}). */
    public static Future<HemastreamService> launch(Vertx vertx, ServiceConfig config) {
        return vertx.executeBlocking(() -> loadClassifier(config), false)
                .compose(c -> launch(vertx, config, c, c));
    }

    /**
     * With a given classifier: loads the diagnostic model, listens on HTTP and starts connecting to Kafka.
     * Fails (closing {@code resources}) when HTTP cannot listen.
     */
    public static Future<HemastreamService> launch(Vertx vertx, ServiceConfig config, BatchClassifier classifier,
                                                   AutoCloseable resources) {
        return vertx.executeBlocking(() -> loadScorer(config, classifier), false)
                .compose(scorer -> {
                    HemastreamService service = new HemastreamService(vertx, config, classifier, new ServiceMetrics(),
                            resources, scorer);
                    service.metrics.bindReady(service::ready);
                    service.http = new HttpVerticle(service.metrics, service::readiness, service::liveness, config.http());
                    return vertx.deployVerticle(service.http)
                            .map(id -> {
                                service.deployments.add(id);
                                log.info("http on {}:{} ({}{}); connecting to Kafka at {}", config.http().host(),
                                        service.http.actualPort(), config.http().tls() ? "https" : "http",
                                        config.http().tokenFile() == null ? "" : ", /metrics needs the bearer token",
                                        config.kafka().bootstrapServers());
                                service.connect();
                                return service;
                            })
                            .recover(e -> {
                                service.closeModels();
                                return Future.failedFuture(e);
                            });
                });
    }

    private static Future<HemastreamService> whenConnected(HemastreamService service) {
        return service.connected().recover(e -> service.stop().transform(ar -> Future.failedFuture(e)));
    }

    /**
     * Completes once the instance consumes; fails on a Kafka-side problem that retrying cannot fix (the
     * message says which). While Kafka does not answer it does not complete.
     */
    public Future<HemastreamService> connected() {
        return connected.future();
    }

    /** One attempt: topics checked or created, then the ingest verticle deployed; retried while Kafka does not answer. */
    private void connect() {
        retryTimer = -1;
        vertx.executeBlocking(() -> ensureTopics(config), false)
                .compose(partitions -> {
                    if (stopping) {
                        return Future.failedFuture(new IllegalStateException("stopped before Kafka was reached"));
                    }
                    SpecimenConsumerVerticle verticle = new SpecimenConsumerVerticle(config, classifier, metrics, scorer,
                            partitions);
                    return vertx.deployVerticle(verticle, new DeploymentOptions().setThreadingModel(ThreadingModel.EVENT_LOOP))
                            .compose(id -> {
                                if (stopping) { // stop() ran while the verticle started: it did not see it
                                    return vertx.undeploy(id).transform(ar -> Future.failedFuture("stopped"));
                                }
                                deployments.add(id);
                                ingest = verticle;
                                return Future.succeededFuture(id);
                            });
                })
                .onSuccess(id -> {
                    kafkaProblem = null;
                    log.info("hemastream ready to consume from {}; http on port {}", config.kafka().bootstrapServers(),
                            http.actualPort());
                    connected.tryComplete(this);
                })
                .onFailure(e -> {
                    if (stopping) {
                        connected.tryFail(e);
                    } else if (!KafkaProblems.retriable(e)) {
                        kafkaProblem = KafkaProblems.describe(e);
                        connected.tryFail(new IllegalStateException("Kafka at " + config.kafka().bootstrapServers() + ": "
                                + kafkaProblem, e));
                    } else {
                        kafkaProblem = "cannot reach Kafka at " + config.kafka().bootstrapServers() + ": " + KafkaProblems.describe(e);
                        log.warn("{}; retrying in {} s (not ready until then)", kafkaProblem, retryDelay / 1000);
                        retryTimer = vertx.setTimer(retryDelay, t -> connect());
                        retryDelay = Math.min(RETRY_MAX_MILLIS, retryDelay * 2);
                    }
                });
    }

    /** Creates missing topics (the state changelog with as many partitions as the inputs); returns the inputs' partition counts. */
    private static Map<String, Integer> ensureTopics(ServiceConfig config) throws Exception {
        ServiceConfig.TopicsConfig t = config.topics();
        try (Admin admin = Admin.create(new KafkaClients(config).admin())) {
            Replication replication = Replication.forCluster(admin, t.replicationFactor(), KAFKA_ATTEMPT_MILLIS);
            if (t.replicationFactor() == null && replication.factor() < Replication.AUTO_MAX) {
                log.info("topics.replicationFactor=auto: the cluster reports {} broker(s), so topics the service creates get {}",
                        replication.factor(), replication);
            }
            Topics.Ensured ensured = new Topics(t.cbc(), t.captures(), t.cellResults(), t.blastAlerts(), t.diagnosticScores(),
                    t.deadLetters(), t.alertReviews()).ensureTopics(admin, t.partitions(), replication);
            int inputs = ensured.partitions().get(t.cbc());
            ChangelogTopic.ensure(admin, t.specimenState(), inputs, replication, KafkaClients.MAX_RECORD_BYTES);
            return Map.of(t.cbc(), inputs, t.captures(), ensured.partitions().get(t.captures()));
        }
    }

    /** {@code /health/ready}: the ingest verticle's view once connected; before that, not ready with the reason. */
    private HttpVerticle.Readiness readiness() {
        SpecimenConsumerVerticle consumer = ingest;
        if (consumer != null) {
            return consumer.readiness();
        }
        return new HttpVerticle.Readiness(false, new JsonObject()
                .put("modelVersion", classifier.modelVersion())
                .put("diagnosticModelVersion", scorer.model().version())
                .put("checks", new JsonArray().add(new JsonObject().put("name", "model").put("status", "UP"))
                        .add(new JsonObject().put("name", "kafka").put("status", "DOWN").put("detail", kafkaProblem))));
    }

    /** {@code /health/live}: waiting for Kafka is no reason to restart the process. */
    private HttpVerticle.Readiness liveness() {
        SpecimenConsumerVerticle consumer = ingest;
        return consumer != null ? consumer.liveness() : new HttpVerticle.Readiness(true, new JsonObject());
    }

    public ServiceMetrics metrics() {
        return metrics;
    }

    public int httpPort() {
        return http.actualPort();
    }

    /** Whether {@code /health/ready} would say ready (Kafka reached, input partitions assigned, commits going through). */
    public boolean ready() {
        SpecimenConsumerVerticle consumer = ingest;
        return consumer != null && consumer.readiness().ready();
    }

    /** Commit counters; only once {@link #connected}. */
    public SpecimenConsumerVerticle.CommitStats commitStats() {
        return ingest.commitStats();
    }

    /**
     * Dies as {@code kill -9} would — nothing committed or aborted, Kafka clients left as zombies — then
     * undeploys. For recovery tests, once {@link #connected}; the returned closeable closes the zombie clients.
     */
    public Future<AutoCloseable> halt() {
        AutoCloseable zombie = ingest.halt();
        return stop().map(v -> zombie);
    }

    /** Backpressure counters; only once {@link #connected}. */
    public SpecimenConsumerVerticle.FlowStats flowStats() {
        return ingest.flowStats();
    }

    /** Stops connecting, undeploys (committing what is safe) and closes the models. Once; later calls get the same future. */
    public synchronized Future<Void> stop() {
        if (stopped != null) {
            return stopped;
        }
        stopping = true;
        if (retryTimer >= 0) {
            vertx.cancelTimer(retryTimer);
        }
        connected.tryFail("stopped before Kafka was reached");
        Future<Void> f = Future.succeededFuture();
        for (int i = deployments.size() - 1; i >= 0; i--) {
            String id = deployments.get(i);
            f = f.compose(v -> vertx.undeploy(id));
        }
        stopped = f.andThen(ar -> closeModels());
        return stopped;
    }

    private void closeModels() {
        try {
            resources.close();
        } catch (Exception e) {
            log.warn("closing resources: {}", e.toString());
        }
        scorer.model().close();
    }
}
