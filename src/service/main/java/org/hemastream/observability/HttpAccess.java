package org.hemastream.observability;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.RoutingContext;
import org.hemastream.config.SecretFile;
import org.hemastream.config.ServiceConfig.HttpConfig;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Who may reach an HTTP server of the service, and how — the one place every HTTP server of the service
 * (metrics and health, the review page) takes its bind address, TLS and authentication from:
 * <ul>
 *   <li>{@link #serverOptions}: {@code http.host} and {@code http.port}, and HTTPS with the PEM certificate
 *       and key of {@code http.tls.certFile} / {@code http.tls.keyFile} when set;</li>
 *   <li>{@link #bearerToken}: a route handler that lets a request through only with
 *       {@code Authorization: Bearer <token>}, the token read from {@code http.auth.tokenFile} at start-up
 *       (a new token needs a restart), compared in constant time; 401 otherwise.</li>
 * </ul>
 */
public final class HttpAccess {

    private HttpAccess() {
    }

    /** Host, port and, when configured, TLS. The files were checked by the configuration. */
    public static HttpServerOptions serverOptions(HttpConfig config) {
        HttpServerOptions options = new HttpServerOptions().setHost(config.host()).setPort(config.port());
        if (config.tls()) {
            options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
                    .setCertPath(config.certFile().toString()).setKeyPath(config.keyFile().toString()));
        }
        return options;
    }

    /**
     * A handler for the routes that need the token: {@code ctx.next()} with the right token, 401 otherwise.
     * Null when no token file is configured (every request is let through: put nothing in front).
     */
    public static Handler<RoutingContext> bearerToken(HttpConfig config) {
        if (config.tokenFile() == null) {
            return null;
        }
        return bearerToken(config.tokenFile());
    }

    static Handler<RoutingContext> bearerToken(Path tokenFile) {
        byte[] expected = sha256(SecretFile.read(tokenFile, "http.auth.tokenFile", SecretFile.MIN_TOKEN_BYTES));
        return ctx -> {
            String header = ctx.request().getHeader("Authorization");
            String prefix = "Bearer ";
            boolean ok = header != null && header.regionMatches(true, 0, prefix, 0, prefix.length())
                    // equal-length digests: the comparison's time says nothing about the token
                    && MessageDigest.isEqual(expected,
                    sha256(header.substring(prefix.length()).trim().getBytes(StandardCharsets.UTF_8)));
            if (ok) {
                ctx.next();
            } else {
                ctx.response().setStatusCode(401).putHeader("WWW-Authenticate", "Bearer realm=\"hemastream\"")
                        .putHeader("content-type", "text/plain; charset=utf-8").end("bearer token required\n");
            }
        };
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
