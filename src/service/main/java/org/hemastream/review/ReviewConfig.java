package org.hemastream.review;

import org.hemastream.config.ConfigException;
import org.hemastream.config.ServiceConfig;
import org.hemastream.config.Settings;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The review server's validated configuration. A server that could not tell who made a decision is refused at
 * start-up: at least one of {@code review.reviewersFile} and {@code review.identityHeader} must be set.
 *
 * @param http            the page's server: {@code review.host} / {@code review.port}, with the service's TLS
 *                        ({@code http.tls.*}) and {@code /metrics} token ({@code http.auth.tokenFile})
 * @param reviewersFile   reviewers and their token hashes, or null
 * @param identityHeader  header a trusted reverse proxy sets to the reviewer's name, or null
 * @param imageCacheBytes cell images kept in memory after reading them from the captures topic
 */
public record ReviewConfig(String bootstrapServers, Map<String, String> kafkaClientSettings, ServiceConfig.HttpConfig http,
                           Path reviewersFile, String identityHeader, long imageCacheBytes, Topics topics) {

    /** The topics the review server reads (alerts, cell results, CBCs, captures) and writes (reviews). */
    public record Topics(String blastAlerts, String cellResults, String cbc, String captures, String alertReviews) {
    }

    public static ReviewConfig from(Settings s) {
        String file = s.stringOrNull("review.reviewersFile");
        Path reviewers = file == null ? null : Path.of(file);
        if (reviewers != null && !Files.isReadable(reviewers)) {
            throw new ConfigException("review.reviewersFile", "file " + reviewers + " does not exist or is not readable");
        }
        String header = s.stringOrNull("review.identityHeader");
        if (header != null && !header.matches("[A-Za-z0-9-]{1,100}")) {
            throw new ConfigException("review.identityHeader", "must be an HTTP header name, was '" + header + "'");
        }
        if (reviewers == null && header == null) {
            throw new ConfigException("review.reviewersFile", "is required unless review.identityHeader is set: "
                    + "every review decision names its reviewer, anonymous decisions are refused");
        }
        ServiceConfig.HttpConfig service = ServiceConfig.from(s).http();
        ServiceConfig.HttpConfig http = new ServiceConfig.HttpConfig(s.string("review.host"), s.integer("review.port", 0, 65535),
                service.certFile(), service.keyFile(), service.tokenFile());
        return new ReviewConfig(s.stringOrNull("kafka.bootstrap.servers"), s.kafkaClientSettings(), http, reviewers, header,
                s.integer("review.imageCacheBytes", 0, Integer.MAX_VALUE),
                new Topics(s.string("topics.blastAlerts"), s.string("topics.cellResults"), s.string("topics.cbc"),
                        s.string("topics.captures"), s.string("topics.alertReviews")));
    }

    /** A copy pointing at other bootstrap servers (the demo's broker). */
    public ReviewConfig withBootstrap(String servers) {
        return new ReviewConfig(servers, kafkaClientSettings, http, reviewersFile, identityHeader, imageCacheBytes, topics);
    }

    /** Requires the bootstrap servers (the review command; the demo starts its own broker). */
    public ReviewConfig requireBootstrap() {
        if (bootstrapServers == null) {
            throw new ConfigException("kafka.bootstrap.servers",
                    "is required: pass --bootstrap-servers, set KAFKA_BOOTSTRAP_SERVERS, or put it in the --config file");
        }
        return this;
    }
}
