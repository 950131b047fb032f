package org.hemastream.config;

import org.hemastream.inference.ExecutionProvider;
import org.hemastream.inference.JpegDecoder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The validated configuration of the streaming service, one record per component. Built once at
 * start-up by {@link #from(Settings)}; a bad value stops start-up with a {@link ConfigException} naming
 * the key.
 */
public record ServiceConfig(KafkaConfig kafka, TopicsConfig topics, InferenceConfig inference, FlowConfig flow,
                            SpecimenConfig specimen, AlertsConfig alerts, DiagnosisConfig diagnosis,
                            DeadLetterConfig deadLetters, HttpConfig http, ProcessingConfig processing,
                            LoggingConfig logging) {

    /** What {@code processing.guarantee} promises to consumers of the outputs. */
    public enum Guarantee {
        EXACTLY_ONCE, AT_LEAST_ONCE;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * @param instanceId         stable per instance: group.instance.id and the base of the transactional.id
     * @param maxUncommittedAge  /health/live fails past this age of the oldest uncommitted input
     */
    public record ProcessingConfig(Guarantee guarantee, String instanceId, int commitRecords, Duration maxUncommittedAge) {

        /** The producer's transactional.id: stable per (group, instance), so a restarted instance fences its zombie. */
        public String transactionalId(String groupId) {
            return "hemastream-" + groupId + "-" + instanceId;
        }
    }

    /**
     * Kafka client settings, passed through as given (TLS, SASL, config providers …). {@link #toString} hides
     * the values of keys that may hold a secret.
     */
    public record KafkaConfig(String bootstrapServers, String groupId, Map<String, String> clientSettings) {
        @Override
        public String toString() {
            Map<String, String> shown = new java.util.TreeMap<>();
            clientSettings.forEach((k, v) -> shown.put(k, Settings.secret(k) ? "[hidden]" : v));
            return "KafkaConfig[bootstrapServers=" + bootstrapServers + ", groupId=" + groupId + ", clientSettings=" + shown + "]";
        }
    }

    /**
     * @param replicationFactor of the topics the service creates; null = auto (min(3, brokers))
     * @param alertReviews      review decisions: written by the review server, not by the streaming service
     */
    public record TopicsConfig(String cbc, String captures, String cellResults, String blastAlerts,
                               String diagnosticScores, String deadLetters, String specimenState, int partitions,
                               Short replicationFactor, String alertReviews) {
    }

    /**
     * @param model        the ONNX model, or null for the reference model in the jar
     * @param sessions     batches classified in parallel on the worker pool
     * @param maxBatchDelay how long the oldest cell of a batch may wait for the batch to fill
     * @param siteProfile  a site profile from calibrate-cells, or null
     */
    public record InferenceConfig(Path model, ExecutionProvider executionProvider, int sessions, int intraOpThreads,
                                  int maxBatch, Duration maxBatchDelay, int maxImageBytes, long maxImagePixels,
                                  Path siteProfile, JpegDecoder jpegDecoder) {
    }

    /** Backpressure on cells in flight: pause the input partitions above highMark, resume below lowMark. */
    public record FlowConfig(int highMark, int lowMark, Duration commitInterval) {
    }

    public record SpecimenConfig(Duration maxIdle, int recentlyClosed, int maxCellsPerSlide, int maxSlides, Duration maxAge) {
    }

    /**
     * Overrides of the slide alert rule; null = not configured (the site profile's or model's rule applies).
     *
     * @param minBlastCells    flagged cells a slide needs, or null
     * @param minBlastFraction fraction of classified cells that must be flagged, or null
     * @param promyelocyteExcessFraction fraction of classified cells that are confident promyelocytes that pages
     *                                   (possible APL); 0 = off
     * @param reviewBaseUrl the review server's external base URL without a trailing slash, or null: no reviewUrl
     */
    public record AlertsConfig(Integer minBlastCells, Double minBlastFraction, double promyelocyteExcessFraction,
                               String reviewBaseUrl) {
    }

    /**
     * @param model       the diagnostic model (folder or .txt), or null for the reference model in the jar
     * @param topFeatures contributing features reported per leading class
     */
    public record DiagnosisConfig(Path model, int topFeatures) {
    }

    public record DeadLetterConfig(int maxMessageBytes) {
    }

    /**
     * Who may reach the HTTP endpoints and how.
     *
     * @param certFile  PEM certificate for HTTPS, or null for plain HTTP (set together with keyFile)
     * @param keyFile   PEM private key for HTTPS, or null
     * @param tokenFile file with the bearer token {@code /metrics} requires, or null for none
     */
    public record HttpConfig(String host, int port, Path certFile, Path keyFile, Path tokenFile) {

        /** Plain HTTP without authentication (tests, tools). */
        public HttpConfig(String host, int port) {
            this(host, port, null, null, null);
        }

        public boolean tls() {
            return certFile != null;
        }

        public HttpConfig withPort(int newPort) {
            return new HttpConfig(host, newPort, certFile, keyFile, tokenFile);
        }

        public HttpConfig withHost(String newHost) {
            return new HttpConfig(newHost, port, certFile, keyFile, tokenFile);
        }
    }

    /** How log lines name specimens: {@code logging.specimenIds}. */
    public enum SpecimenIdLogging {
        PSEUDONYMISED, PLAIN
    }

    /** @param pseudonymKeyFile the HMAC key for pseudonyms, or null for a random key per process */
    public record LoggingConfig(SpecimenIdLogging specimenIds, Path pseudonymKeyFile) {
    }

    /** Validates every key; throws {@link ConfigException} naming the first bad one. */
    public static ServiceConfig from(Settings s) {
        String modelPath = s.stringOrNull("inference.modelPath");
        Path model = modelPath == null ? null : Path.of(modelPath);
        if (model != null && !Files.isReadable(model)) {
            throw new ConfigException("inference.modelPath", "file " + model + " does not exist or is not readable");
        }
        String profilePath = s.stringOrNull("inference.siteProfile");
        Path siteProfile = profilePath == null ? null : Path.of(profilePath);
        if (siteProfile != null && !Files.isReadable(siteProfile)) {
            throw new ConfigException("inference.siteProfile", "file " + siteProfile + " does not exist or is not readable");
        }
        String diagnosisPath = s.stringOrNull("diagnosis.model");
        Path diagnosisModel = diagnosisPath == null ? null : Path.of(diagnosisPath);
        if (diagnosisModel != null && !Files.isReadable(diagnosisModel)) {
            throw new ConfigException("diagnosis.model", "file or folder " + diagnosisModel + " does not exist or is not readable");
        }
        int high = s.integer("flow.highMark", 1, 1_000_000);
        int low = s.integer("flow.lowMark", 0, 1_000_000);
        if (low >= high) {
            throw new ConfigException("flow.lowMark", "must be below flow.highMark (" + high + "), was " + low);
        }
        int maxBatch = s.integer("inference.maxBatch", 1, 1024);
        if (high < maxBatch) {
            throw new ConfigException("flow.highMark", "must be at least inference.maxBatch (" + maxBatch + "), was " + high);
        }
        String bootstrap = s.stringOrNull("kafka.bootstrap.servers");
        TopicsConfig topics = new TopicsConfig(s.string("topics.cbc"), s.string("topics.captures"),
                s.string("topics.cellResults"), s.string("topics.blastAlerts"), s.string("topics.diagnosticScores"),
                s.string("topics.deadLetters"), s.string("topics.specimenState"), s.integer("topics.partitions", 1, 10_000),
                replicationFactor(s), s.string("topics.alertReviews"));
        if (topics.cbc().equals(topics.captures())) {
            throw new ConfigException("topics.captures", "must differ from topics.cbc ('" + topics.cbc() + "')");
        }
        return new ServiceConfig(
                new KafkaConfig(bootstrap, s.string("kafka.group.id"), s.kafkaClientSettings()),
                topics,
                new InferenceConfig(model, s.choice("inference.executionProvider", ExecutionProvider.class),
                        s.integer("inference.sessions", 1, 64), s.integer("inference.intraOpThreads", 1, 256),
                        maxBatch, s.millis("inference.maxBatchDelayMillis", 0, 60_000),
                        s.integer("inference.maxImageBytes", 1024, 64 * 1024 * 1024),
                        s.integer("inference.maxImagePixels", 64 * 64, 100_000_000), siteProfile,
                        s.choice("inference.jpegDecoder", JpegDecoder.class)),
                new FlowConfig(high, low, s.millis("flow.commitIntervalMillis", 10, 600_000)),
                new SpecimenConfig(s.millis("specimen.maxIdleMillis", 1_000, 7L * 24 * 3600 * 1000),
                        s.integer("specimen.recentlyClosed", 0, 10_000_000), s.integer("specimen.maxCellsPerSlide", 1, 100_000),
                        s.integer("specimen.maxSlides", 1, 1000), s.millis("specimen.maxAgeMillis", 1_000, 365L * 24 * 3600 * 1000)),
                new AlertsConfig(s.stringOrNull("alerts.minBlastCells") == null ? null
                        : s.integer("alerts.minBlastCells", 1, 10_000),
                        s.stringOrNull("alerts.minBlastFraction") == null ? null
                                : s.decimal("alerts.minBlastFraction", 0, 1),
                        s.decimal("alerts.promyelocyteExcessFraction", 0, 1), reviewBaseUrl(s)),
                new DiagnosisConfig(diagnosisModel, s.integer("diagnosis.topFeatures", 0, 1000)),
                new DeadLetterConfig(s.integer("deadLetters.maxMessageBytes", 4096, 100 * 1024 * 1024)),
                http(s),
                new ProcessingConfig(s.choice("processing.guarantee", Guarantee.class), instanceId(s),
                        s.integer("flow.commitRecords", 1, 1_000_000),
                        s.millis("health.maxUncommittedAgeMillis", 1_000, 7L * 24 * 3600 * 1000)),
                logging(s));
    }

    /** {@code auto} (null) or 1..32. */
    private static Short replicationFactor(Settings s) {
        if (s.string("topics.replicationFactor").equalsIgnoreCase("auto")) {
            return null;
        }
        try {
            return (short) s.integer("topics.replicationFactor", 1, 32);
        } catch (ConfigException e) {
            throw new ConfigException("topics.replicationFactor", "must be auto or a number from 1 to 32, was '"
                    + s.string("topics.replicationFactor") + "'");
        }
    }

    private static HttpConfig http(Settings s) {
        Path cert = readableFile(s, "http.tls.certFile");
        Path key = readableFile(s, "http.tls.keyFile");
        if (cert != null && key == null) {
            throw new ConfigException("http.tls.keyFile", "must be set when http.tls.certFile is (HTTPS needs both)");
        }
        if (key != null && cert == null) {
            throw new ConfigException("http.tls.certFile", "must be set when http.tls.keyFile is (HTTPS needs both)");
        }
        Path token = readableFile(s, "http.auth.tokenFile");
        if (token != null) {
            SecretFile.read(token, "http.auth.tokenFile", SecretFile.MIN_TOKEN_BYTES);
        }
        return new HttpConfig(s.string("http.host"), s.integer("http.port", 0, 65535), cert, key, token);
    }

    private static LoggingConfig logging(Settings s) {
        SpecimenIdLogging ids = s.choice("logging.specimenIds", SpecimenIdLogging.class);
        Path key = readableFile(s, "logging.pseudonymKeyFile");
        if (key != null) {
            SecretFile.read(key, "logging.pseudonymKeyFile", SecretFile.MIN_KEY_BYTES);
        }
        return new LoggingConfig(ids, key);
    }

    /** The file a key names, or null when the key is empty; a missing or unreadable file stops start-up. */
    private static Path readableFile(Settings s, String key) {
        String value = s.stringOrNull(key);
        if (value == null) {
            return null;
        }
        Path path = Path.of(value);
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new ConfigException(key, "file " + path + " does not exist or is not readable");
        }
        return path;
    }

    /** {@code alerts.reviewBaseUrl}: an absolute http(s) URL, stored without its trailing slash; null when empty. */
    private static String reviewBaseUrl(Settings s) {
        String url = s.stringOrNull("alerts.reviewBaseUrl");
        if (url == null) {
            return null;
        }
        try {
            java.net.URI uri = new java.net.URI(url);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
                    || uri.getQuery() != null || uri.getFragment() != null) {
                throw new java.net.URISyntaxException(url, "not an absolute http(s) URL without query or fragment");
            }
        } catch (java.net.URISyntaxException e) {
            throw new ConfigException("alerts.reviewBaseUrl", "must be an absolute http(s) URL such as "
                    + "https://hema-review.lab.example, was '" + url + "'");
        }
        return url.replaceAll("/+$", "");
    }

    /** A copy whose blast alerts link to the review server at {@code baseUrl}. */
    public ServiceConfig withReviewBaseUrl(String baseUrl) {
        return new ServiceConfig(kafka, topics, inference, flow, specimen,
                new AlertsConfig(alerts.minBlastCells(), alerts.minBlastFraction(), alerts.promyelocyteExcessFraction(),
                        baseUrl.replaceAll("/+$", "")), diagnosis, deadLetters, http, processing, logging);
    }

    /**
     * {@code instance.id}, else {@code kafka.group.instance.id}, else {@code <host name>-<http.port>}: stable
     * across restarts of one instance, distinct for instances sharing a host (they need distinct ports).
     */
    private static String instanceId(Settings s) {
        String id = s.stringOrNull("instance.id");
        if (id == null) {
            id = s.kafkaClientSettings().get("group.instance.id");
        }
        if (id == null) {
            String host = System.getenv("HOSTNAME");
            if (host == null || host.isBlank()) {
                try {
                    host = java.net.InetAddress.getLocalHost().getHostName();
                } catch (java.io.IOException e) {
                    host = "hemastream";
                }
            }
            id = host + "-" + s.string("http.port");
        }
        if (!id.matches("[A-Za-z0-9._-]{1,200}")) {
            throw new ConfigException("instance.id", "must be 1-200 of [A-Za-z0-9._-], was '" + id + "'");
        }
        return id;
    }

    /** Requires the bootstrap servers (the run command; demo and tests start their own broker). */
    public ServiceConfig requireBootstrap() {
        if (kafka.bootstrapServers() == null) {
            throw new ConfigException("kafka.bootstrap.servers",
                    "is required: pass --bootstrap-servers, set KAFKA_BOOTSTRAP_SERVERS, or put it in the --config file");
        }
        return this;
    }

    /** A copy pointing at other bootstrap servers. */
    public ServiceConfig withBootstrap(String servers) {
        return new ServiceConfig(new KafkaConfig(servers, kafka.groupId(), kafka.clientSettings()), topics, inference,
                flow, specimen, alerts, diagnosis, deadLetters, http, processing, logging);
    }

    /** A copy with other HTTP settings (the demo moves off a taken port). */
    public ServiceConfig withHttp(HttpConfig newHttp) {
        return new ServiceConfig(kafka, topics, inference, flow, specimen, alerts, diagnosis, deadLetters, newHttp,
                processing, logging);
    }
}
