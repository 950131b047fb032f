package org.hemastream.observability;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.hemastream.config.ConfigException;
import org.hemastream.config.ServiceConfig;
import org.hemastream.config.ServiceConfig.HttpConfig;
import org.hemastream.config.Settings;
import org.hemastream.testsupport.TestCertificates;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The HTTP endpoints with HTTPS and a bearer token, as {@link HttpAccess} sets them up: real server, real client. */
class HttpAccessTest {

    @TempDir
    Path dir;

    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    @Test
    void overHttpsTheMetricsNeedTheBearerTokenWhileTheProbesStayOpen() throws Exception {
        TestCertificates certs = TestCertificates.generate(dir, "store-" + UUID.randomUUID());
        String token = "token-" + UUID.randomUUID();
        Path tokenFile = Files.writeString(dir.resolve("metrics-token"), token + "\n");
        HttpVerticle http = start(new HttpConfig("127.0.0.1", 0, certs.certPem(), certs.keyPem(), tokenFile));
        HttpClient client = HttpClient.newBuilder().sslContext(trusting(certs)).build();
        String base = "https://127.0.0.1:" + http.actualPort();

        HttpResponse<String> anonymous = get(client, base + "/metrics", null);
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        assertThat(get(client, base + "/metrics", "Bearer " + token + "x").statusCode()).isEqualTo(401);
        assertThat(get(client, base + "/metrics", "Basic " + token).statusCode()).isEqualTo(401);
        HttpResponse<String> scraped = get(client, base + "/metrics", "Bearer " + token);
        assertThat(scraped.statusCode()).isEqualTo(200);
        assertThat(scraped.body()).contains("jvm_memory_used_bytes");

        assertThat(get(client, base + "/health/live", null).statusCode()).isEqualTo(200);
        assertThat(get(client, base + "/health/ready", null).statusCode()).as("not ready, but not 401").isEqualTo(503);
        assertThatThrownBy(() -> get(HttpClient.newHttpClient(), "http://127.0.0.1:" + http.actualPort() + "/health/live", null))
                .as("plain HTTP on the HTTPS port").isInstanceOf(IOException.class);
    }

    @Test
    void withoutTlsAndTokenEverythingIsPlainAndOpen() throws Exception {
        HttpVerticle http = start(new HttpConfig("127.0.0.1", 0));
        HttpResponse<String> scraped = get(HttpClient.newHttpClient(), "http://127.0.0.1:" + http.actualPort() + "/metrics", null);
        assertThat(scraped.statusCode()).isEqualTo(200);
    }

    @Test
    void aTakenPortFailsWithAConfigErrorNamingHttpPort() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            HttpVerticle http = verticle(new HttpConfig("127.0.0.1", taken.getLocalPort()));
            assertThatThrownBy(() -> vertx.deployVerticle(http).await(30, TimeUnit.SECONDS))
                    .isInstanceOf(ConfigException.class).hasMessageContaining("config http.port:")
                    .hasMessageContaining("address already in use");
        }
    }

    @Test
    void halfATlsPairOrAShortTokenStopsStartUpNamingTheKey() throws Exception {
        Path cert = Files.writeString(dir.resolve("cert.pem"), "x");
        Path shortToken = Files.writeString(dir.resolve("token"), "abc\n");
        assertThatThrownBy(() -> ServiceConfig.from(Settings.defaults().with(Map.of("http.tls.certFile", cert.toString()))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("http.tls.keyFile");
        assertThatThrownBy(() -> ServiceConfig.from(Settings.defaults().with(Map.of("http.tls.keyFile", cert.toString()))))
                .hasMessageContaining("http.tls.certFile");
        assertThatThrownBy(() -> ServiceConfig.from(Settings.defaults().with(Map.of("http.auth.tokenFile", shortToken.toString()))))
                .hasMessageContaining("http.auth.tokenFile").hasMessageContaining("at least 16").hasMessageNotContaining("abc");
        assertThatThrownBy(() -> ServiceConfig.from(Settings.defaults().with(Map.of("http.auth.tokenFile", "/no/such/token"))))
                .hasMessageContaining("http.auth.tokenFile");
    }

    private HttpVerticle verticle(HttpConfig config) {
        return new HttpVerticle(new ServiceMetrics(), () -> new HttpVerticle.Readiness(false, new JsonObject()),
                () -> new HttpVerticle.Readiness(true, new JsonObject()), config);
    }

    private HttpVerticle start(HttpConfig config) throws Exception {
        HttpVerticle http = verticle(config);
        vertx.deployVerticle(http).await(30, TimeUnit.SECONDS);
        return http;
    }

    private static HttpResponse<String> get(HttpClient client, String url, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static SSLContext trusting(TestCertificates certs) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(certs.trustStore())) {
            trust.load(in, certs.password().toCharArray());
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        return ssl;
    }
}
