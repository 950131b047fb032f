package org.hemastream.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every configuration key with its default and meaning, in one place. {@code --help} prints this table;
 * the README's configuration table is generated from the same list.
 */
public final class Defaults {

    /** key → default value. */
    public static final Map<String, String> VALUES;
    /** key → what it means, with units. */
    public static final Map<String, String> DESCRIPTIONS;

    static {
        Map<String, String[]> d = new LinkedHashMap<>();
        d.put("kafka.bootstrap.servers", new String[]{"", "Kafka bootstrap servers (or KAFKA_BOOTSTRAP_SERVERS / --bootstrap-servers); any other kafka.* key passes through to the clients (TLS, SASL, …)"});
        d.put("kafka.group.id", new String[]{"hemastream", "consumer group of all hemastream instances"});
        d.put("processing.guarantee", new String[]{"exactly_once", "exactly_once: outputs, input offsets and open-specimen state commit in one Kafka transaction (consumers read read_committed); at_least_once: outputs re-sent with the same IDs until acknowledged, then offsets committed (consumers de-duplicate by ID)"});
        d.put("instance.id", new String[]{"", "this instance's stable ID: group.instance.id (static membership) and the transactional.id hemastream-<group>-<id>; empty = kafka.group.instance.id if set, else <HOSTNAME or host name>-<http.port>. Two live instances must never share one"});
        d.put("topics.cbc", new String[]{"lab.cbc.results", "input: CBC results (key = specimenId)"});
        d.put("topics.captures", new String[]{"lab.cell.captures", "input: cell images and slide-complete markers (key = specimenId)"});
        d.put("topics.cellResults", new String[]{"hema.cell-results", "output: one classification per cell"});
        d.put("topics.blastAlerts", new String[]{"hema.blast-alerts", "output: preliminary and final blast alerts"});
        d.put("topics.diagnosticScores", new String[]{"hema.diagnostic-scores", "output: diagnostic scores"});
        d.put("topics.deadLetters", new String[]{"hema.dead-letters", "output: input records that could not be used, with the reason"});
        d.put("topics.alertReviews", new String[]{"hema.alert-reviews", "review decisions (append-only audit trail, key = specimenId): written by the review server, read by export-reviews"});
        d.put("topics.specimenState", new String[]{"hema.specimen-state", "state changelog (compacted, keyed by specimenId, as many partitions as the inputs): open specimens' CBC, cell results, alert stages; closed markers"});
        d.put("topics.partitions", new String[]{"3", "partitions when the service creates missing topics (inputs must be co-partitioned)"});
        d.put("topics.replicationFactor", new String[]{"auto", "replication factor of the topics the service creates: auto = min(3, brokers the cluster reports), or a number the cluster can honour; they get min.insync.replicas = min(2, factor)"});
        d.put("inference.modelPath", new String[]{"", "path of the cell-classifier ONNX model; empty = the reference model in the jar"});
        d.put("inference.siteProfile", new String[]{"", "site profile JSON written by calibrate-cells (blast threshold and slide rule for this lab), bound to the model's SHA-256; empty = none"});
        d.put("inference.executionProvider", new String[]{"cpu", "cpu, cuda, or auto (CUDA when present, else CPU); CUDA needs the -Pgpu build"});
        d.put("inference.sessions", new String[]{"2", "batches classified in parallel on the inference worker pool"});
        d.put("inference.intraOpThreads", new String[]{"1", "ONNX Runtime intra-op threads per batch"});
        d.put("inference.maxBatch", new String[]{"32", "cells per batch at most"});
        d.put("inference.maxBatchDelayMillis", new String[]{"20", "a batch leaves when full or when its oldest cell has waited this long (ms)"});
        d.put("inference.maxImageBytes", new String[]{"2097152", "largest accepted image file (bytes)"});
        d.put("inference.jpegDecoder", new String[]{"auto", "auto, turbojpeg or imageio: JPEGs via libjpeg-turbo (package libturbojpeg0) when it loads, else ImageIO; turbojpeg stops start-up without it"});
        d.put("inference.maxImagePixels", new String[]{"4194304", "largest accepted declared image size (width x height), checked before decoding"});
        d.put("flow.highMark", new String[]{"512", "cells in flight (received, not yet classified) above which the input partitions are paused"});
        d.put("flow.lowMark", new String[]{"128", "cells in flight below which paused partitions resume"});
        d.put("flow.commitIntervalMillis", new String[]{"250", "a commit unit (a transaction under exactly_once) is sealed at most this long after it got its first content (ms); outputs become visible to read_committed consumers then"});
        d.put("flow.commitRecords", new String[]{"2000", "a commit unit is sealed early after this many input records"});
        d.put("health.maxUncommittedAgeMillis", new String[]{"900000", "/health/live fails when the oldest input fed but not committed is older than this (ms): outputs cannot be committed (broker away, transactions failing)"});
        d.put("specimen.maxIdleMillis", new String[]{"900000", "a specimen with no event for this long closes as partial (ms)"});
        d.put("specimen.recentlyClosed", new String[]{"100000", "closed specimens remembered in memory (and restored from the changelog) to refuse late input for them"});
        d.put("specimen.maxCellsPerSlide", new String[]{"2000", "a slide with more cells closes its specimen as partial (the extra cell is dead-lettered LIMIT_EXCEEDED)"});
        d.put("specimen.maxSlides", new String[]{"8", "a specimen with more slides closes as partial (LIMIT_EXCEEDED)"});
        d.put("specimen.maxAgeMillis", new String[]{"86400000", "a specimen open longer than this closes as partial (ms)"});
        d.put("alerts.minBlastCells", new String[]{"", "cells flagged blast on a slide that raise an alert; empty = the site profile's or model's slide rule (1 for a model without one)"});
        d.put("alerts.minBlastFraction", new String[]{"", "fraction (0..1) of a slide's classified cells that must be flagged blast to raise an alert; empty = the site profile's or model's slide rule (0 for a model without one)"});
        d.put("alerts.promyelocyteExcessFraction", new String[]{"0.05", "possible APL: a slide also raises an alert when at least 3 cells and this fraction (0..1) of its classified cells are promyelocytes (flagged, or top type promyelocyte at P >= 0.5); 0 = off"});
        d.put("alerts.reviewBaseUrl", new String[]{"", "external base URL of the review server (e.g. https://hema-review.lab.example); each blast alert then carries reviewUrl = <base>/alerts/<alertId>; empty = no reviewUrl"});
        d.put("diagnosis.model", new String[]{"", "diagnostic model: a folder with diagnostic-model.txt + .json, or the .txt (sidecar beside it); empty = the reference model in the jar"});
        d.put("diagnosis.topFeatures", new String[]{"5", "contributing features reported per leading class in each diagnostic score"});
        d.put("deadLetters.maxMessageBytes", new String[]{"1000000", "largest dead-letter message; the original is truncated (and marked) to fit"});
        d.put("http.port", new String[]{"8080", "HTTP port for /metrics, /health/live, /health/ready (0 = random)"});
        d.put("http.host", new String[]{"0.0.0.0", "HTTP bind address: every interface by default, so that Prometheus and the orchestrator's probes reach it from outside the container; 127.0.0.1 keeps it on the host. /metrics and /health carry no patient data; protect /metrics with http.auth.tokenFile and http.tls.*"});
        d.put("http.tls.certFile", new String[]{"", "PEM certificate (chain) for HTTPS; set with http.tls.keyFile (both or neither); empty = plain HTTP"});
        d.put("http.tls.keyFile", new String[]{"", "PEM private key for HTTPS (PKCS#8 or PKCS#1), with http.tls.certFile"});
        d.put("http.auth.tokenFile", new String[]{"", "file holding a bearer token: /metrics then requires 'Authorization: Bearer <token>' (/health/live and /health/ready stay open for probes); empty = no authentication"});
        d.put("logging.specimenIds", new String[]{"pseudonymised", "how log lines name specimens: pseudonymised (a keyed hash, HMAC-SHA256, 12 hex digits) or plain (the IDs as they are); output topics always carry the real IDs"});
        d.put("logging.pseudonymKeyFile", new String[]{"", "file holding the HMAC key for pseudonymised IDs (at least 16 bytes; a trailing line break is ignored): the same key on every instance and restart gives the same pseudonym; empty = a random key per process (pseudonyms do not correlate across restarts or instances)"});
        d.put("review.host", new String[]{"0.0.0.0", "review server (command review): bind address"});
        d.put("review.port", new String[]{"8090", "review server: HTTP port of the review page (0 = random)"});
        d.put("review.reviewersFile", new String[]{"", "review server: file of reviewers, one 'name sha256:<hex of token>' per line (review --new-reviewer NAME writes one); HTTP Basic with name and token. Without it (and without review.identityHeader) the review server refuses to start"});
        d.put("review.identityHeader", new String[]{"", "review server: request header carrying the reviewer's name set by a trusted reverse proxy (e.g. X-Forwarded-User); honoured only when set here, and only safe when the proxy is the sole way in and strips the header from clients"});
        d.put("review.imageCacheBytes", new String[]{"67108864", "review server: cell images kept in memory after reading them from the captures topic (bytes)"});
        Map<String, String> v = new LinkedHashMap<>();
        Map<String, String> desc = new LinkedHashMap<>();
        d.forEach((k, a) -> {
            v.put(k, a[0]);
            desc.put(k, a[1]);
        });
        VALUES = java.util.Collections.unmodifiableMap(v);
        DESCRIPTIONS = java.util.Collections.unmodifiableMap(desc);
    }

    private Defaults() {
    }

    /** The help text: every key, its default and its environment variable. */
    public static String table() {
        StringBuilder sb = new StringBuilder("Configuration (defaults < --config FILE < environment < --set key=value):\n");
        VALUES.forEach((k, v) -> sb.append(String.format("  %-30s %-18s %s%n      env %s%n", k,
                v.isEmpty() ? "(empty)" : v, DESCRIPTIONS.get(k), Settings.envName(k))));
        return sb.toString();
    }
}
