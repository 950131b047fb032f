package org.hemastream.observability;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.hemastream.config.ConfigException;
import org.hemastream.config.ServiceConfig.HttpConfig;

import java.util.function.Supplier;

/**
 * HTTP for operators: {@code /metrics} (Prometheus text; behind the bearer token when {@code http.auth.tokenFile}
 * is set), {@code /health/live} (the process runs) and {@code /health/ready} (models loaded and input
 * partitions assigned; 503 with the reason otherwise) — HTTPS when {@code http.tls.*} are set ({@link HttpAccess}).
 */
public final class HttpVerticle extends AbstractVerticle {

    /** Readiness as the ingest side reports it. */
    public record Readiness(boolean ready, JsonObject details) {
    }

    private final ServiceMetrics metrics;
    private final Supplier<Readiness> readiness;
    private final Supplier<Readiness> liveness;
    private final HttpConfig http;
    private HttpServer server;

    /**
     * @param liveness what {@code /health/live} reports (503 when not live: the instance needs a restart)
     * @param http     bind address, TLS and the token {@code /metrics} requires ({@link HttpAccess})
     */
    public HttpVerticle(ServiceMetrics metrics, Supplier<Readiness> readiness, Supplier<Readiness> liveness,
                        HttpConfig http) {
        this.metrics = metrics;
        this.readiness = readiness;
        this.liveness = liveness;
        this.http = http;
    }

    @Override
    public void start(Promise<Void> started) {
        Router router = Router.router(vertx);
        // Probes stay open (kubelet sends no token); the metrics need the token when one is configured.
        Handler<RoutingContext> auth = HttpAccess.bearerToken(http);
        if (auth != null) {
            router.route("/metrics").handler(auth);
        }
        // Scraping walks every meter (hundreds with the Kafka client metrics): not on the event loop.
        router.get("/metrics").handler(ctx -> vertx.executeBlocking(() -> metrics.registry().scrape(), false)
                .onSuccess(text -> ctx.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
                        .end(text))
                .onFailure(ctx::fail));
        router.get("/health/live").handler(ctx -> {
            Readiness r = liveness.get();
            ctx.response().setStatusCode(r.ready() ? 200 : 503).putHeader("content-type", "application/json")
                    .end(r.details().copy().put("status", r.ready() ? "UP" : "DOWN").encode());
        });
        router.get("/health/ready").handler(ctx -> {
            Readiness r = readiness.get();
            ctx.response().setStatusCode(r.ready() ? 200 : 503).putHeader("content-type", "application/json")
                    .end(r.details().copy().put("status", r.ready() ? "UP" : "DOWN").encode());
        });
        vertx.createHttpServer(HttpAccess.serverOptions(http)).requestHandler(router).listen()
                .onSuccess(s -> {
                    server = s;
                    started.complete();
                })
                .onFailure(e -> started.fail(failure(e)));
    }

    /** One line naming the key to change, rather than Netty's exception class and errno. */
    private RuntimeException failure(Throwable e) {
        String where = "cannot listen on " + http.host() + ":" + http.port() + ": ";
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = String.valueOf(t.getMessage());
            if (message.contains("Address already in use")) {
                return new ConfigException("http.port", where + "address already in use (another process has the port)");
            }
            if (message.contains("Cannot assign requested address") || t instanceof java.net.UnknownHostException) {
                return new ConfigException("http.host", where + "not an address of this machine");
            }
        }
        if (http.tls()) {
            return new ConfigException("http.tls.certFile", "cannot serve HTTPS with " + http.certFile() + " and "
                    + http.keyFile() + ": " + e.getMessage());
        }
        return new IllegalStateException(where + e.getMessage(), e);
    }

    /** The port actually bound (useful with http.port=0). */
    public int actualPort() {
        return server == null ? -1 : server.actualPort();
    }
}
