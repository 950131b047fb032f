package org.hemastream.observability;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;

import java.util.function.Supplier;

/**
 * HTTP for operators: {@code /metrics} (Prometheus text), {@code /health/live} (the process runs) and
 * {@code /health/ready} (models loaded and input partitions assigned; 503 with the reason otherwise).
 */
public final class HttpVerticle extends AbstractVerticle {

    /** Readiness as the ingest side reports it. */
    public record Readiness(boolean ready, JsonObject details) {
    }

    private final ServiceMetrics metrics;
    private final Supplier<Readiness> readiness;
    private final Supplier<Readiness> liveness;
    private final String host;
    private final int port;
    private HttpServer server;

    public HttpVerticle(ServiceMetrics metrics, Supplier<Readiness> readiness, String host, int port) {
        this(metrics, readiness, () -> new Readiness(true, new JsonObject()), host, port);
    }

    /** @param liveness what {@code /health/live} reports (503 when not live: the instance needs a restart) */
    public HttpVerticle(ServiceMetrics metrics, Supplier<Readiness> readiness, Supplier<Readiness> liveness,
                        String host, int port) {
        this.metrics = metrics;
        this.readiness = readiness;
        this.liveness = liveness;
        this.host = host;
        this.port = port;
    }

    @Override
    public void start(Promise<Void> started) {
        Router router = Router.router(vertx);
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
        vertx.createHttpServer().requestHandler(router).listen(port, host)
                .onSuccess(s -> {
                    server = s;
                    started.complete();
                })
                .onFailure(e -> started.fail(new IllegalStateException("http.port " + port + ": cannot listen on "
                        + host + ":" + port + ": " + e.getMessage(), e)));
    }

    /** The port actually bound (useful with http.port=0). */
    public int actualPort() {
        return server == null ? -1 : server.actualPort();
    }
}
