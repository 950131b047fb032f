package org.hemastream;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.ThreadingModel;
import org.apache.kafka.clients.admin.Admin;
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
import org.hemastream.kafka.Topics;
import org.hemastream.observability.HttpVerticle;
import org.hemastream.observability.ServiceMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One running hemastream instance: the cell model loaded, the diagnostic model loaded and checked
 * against it (every feature it needs must be one the cell model can supply), the topics checked (created when missing, input
 * partition counts equal), the ingest verticle consuming and the HTTP verticle serving metrics and
 * health. {@link #start} completes only when the consumer is subscribed and HTTP listens.
 */
public final class HemastreamService {

    private static final Logger log = LoggerFactory.getLogger(HemastreamService.class);

    private final Vertx vertx;
    private final ServiceMetrics metrics;
    private final SpecimenConsumerVerticle ingest;
    private final HttpVerticle http;
    private final List<String> deployments = new ArrayList<>();
    private final AutoCloseable resources;
    private final DiagnosticScorer scorer;

    private HemastreamService(Vertx vertx, ServiceMetrics metrics, SpecimenConsumerVerticle ingest, HttpVerticle http,
                              AutoCloseable resources, DiagnosticScorer scorer) {
        this.vertx = vertx;
        this.metrics = metrics;
        this.ingest = ingest;
        this.http = http;
        this.resources = resources;
        this.scorer = scorer;
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
        CellClassifier classifier = CellClassifier.open(cc);
        log.info("cell model {} loaded from {} on {} (SHA-256 {}); site profile: {}", classifier.metadata().modelVersion(),
                classifier.source(), classifier.executionProvider(), classifier.modelSha256(),
                inf.siteProfile() == null ? "none" : inf.siteProfile());
        return new OnnxBatchClassifier(classifier, new ImageDecoder(new ImageLimits(inf.maxImageBytes(), inf.maxImagePixels())));
    }

    /** Starts with the model the configuration names. */
    public static Future<HemastreamService> start(Vertx vertx, ServiceConfig config) {
        return vertx.executeBlocking(() -> loadClassifier(config), false)
                .compose(c -> start(vertx, config, c, c));
    }

    /**
     * Starts with a given classifier (tests wrap the real one, e.g. to slow it down).
     *
     * @param resources closed when the service stops
     */
    public static Future<HemastreamService> start(Vertx vertx, ServiceConfig config, BatchClassifier classifier,
                                                  AutoCloseable resources) {
        ServiceMetrics metrics = new ServiceMetrics();
        return vertx.executeBlocking(() -> {
                    DiagnosticScorer scorer = loadScorer(config, classifier);
                    try {
                        return Map.entry(scorer, ensureTopics(config));
                    } catch (RuntimeException e) {
                        scorer.model().close();
                        throw e;
                    }
                }, false)
                .compose(prepared -> {
                    DiagnosticScorer scorer = prepared.getKey();
                    SpecimenConsumerVerticle ingest = new SpecimenConsumerVerticle(config, classifier, metrics, scorer,
                            prepared.getValue());
                    HttpVerticle http = new HttpVerticle(metrics, ingest::readiness, ingest::liveness, config.http().host(),
                            config.http().port());
                    return Future.succeededFuture(new HemastreamService(vertx, metrics, ingest, http, resources, scorer));
                })
                .compose(service -> deploy(service, config));
    }

    private static Future<HemastreamService> deploy(HemastreamService service, ServiceConfig config) {
        Vertx vertx = service.vertx;
        SpecimenConsumerVerticle ingest = service.ingest;
        HttpVerticle http = service.http;
        return vertx.deployVerticle(ingest, new DeploymentOptions().setThreadingModel(ThreadingModel.EVENT_LOOP))
                .compose(id -> {
                    service.deployments.add(id);
                    return vertx.deployVerticle(http);
                })
                .map(id -> {
                    service.deployments.add(id);
                    log.info("hemastream ready to consume from {}; http on port {}", config.kafka().bootstrapServers(),
                            http.actualPort());
                    return service;
                });
    }

    /** Creates missing topics (the state changelog with as many partitions as the inputs); returns the inputs' partition counts. */
    private static Map<String, Integer> ensureTopics(ServiceConfig config) {
        ServiceConfig.TopicsConfig t = config.topics();
        Map<String, Object> props = new java.util.HashMap<>(config.kafka().clientSettings());
        props.put("bootstrap.servers", config.kafka().bootstrapServers());
        props.remove("group.id");
        try (Admin admin = Admin.create(props)) {
            Topics.Ensured ensured = new Topics(t.cbc(), t.captures(), t.cellResults(), t.blastAlerts(), t.diagnosticScores(),
                    t.deadLetters(), t.alertReviews()).ensureTopics(admin, t.partitions(), t.replicationFactor());
            int inputs = ensured.partitions().get(t.cbc());
            ChangelogTopic.ensure(admin, t.specimenState(), inputs, t.replicationFactor(), KafkaClients.MAX_RECORD_BYTES);
            return Map.of(t.cbc(), inputs, t.captures(), ensured.partitions().get(t.captures()));
        }
    }

    public ServiceMetrics metrics() {
        return metrics;
    }

    public int httpPort() {
        return http.actualPort();
    }

    /** Whether {@code /health/ready} would say ready (model loaded, input partitions assigned). */
    public boolean ready() {
        return ingest.readiness().ready();
    }

    public SpecimenConsumerVerticle.CommitStats commitStats() {
        return ingest.commitStats();
    }

    /**
     * Dies as {@code kill -9} would — nothing committed or aborted, Kafka clients left as zombies — then
     * undeploys. For recovery tests; the returned closeable closes the zombie clients.
     */
    public Future<AutoCloseable> halt() {
        AutoCloseable zombie = ingest.halt();
        return stop().map(v -> zombie);
    }

    public SpecimenConsumerVerticle.FlowStats flowStats() {
        return ingest.flowStats();
    }

    /** Undeploys (committing what is safe) and closes the model. */
    public Future<Void> stop() {
        Future<Void> f = Future.succeededFuture();
        for (int i = deployments.size() - 1; i >= 0; i--) {
            String id = deployments.get(i);
            f = f.compose(v -> vertx.undeploy(id));
        }
        return f.andThen(ar -> {
            try {
                resources.close();
            } catch (Exception e) {
                log.warn("closing resources: {}", e.toString());
            }
            scorer.model().close();
        });
    }
}
