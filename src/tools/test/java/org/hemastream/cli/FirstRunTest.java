package org.hemastream.cli;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.hemastream.HemastreamService;
import org.hemastream.Main;
import org.hemastream.config.ServiceConfig;
import org.hemastream.config.Settings;
import org.hemastream.kafka.EmbeddedKafkaBroker;
import org.hemastream.testsupport.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What a newcomer meets on a first run: expected conditions — the HTTP port taken, the model file missing,
 * Kafka not there (yet) — each say so in one line that names the key or the address, not a stack trace; a
 * service that cannot reach Kafka stays up, not ready, and connects once Kafka appears.
 */
class FirstRunTest {

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void runWithItsHttpPortTakenFailsWithOneLineNamingHttpPortBeforeTouchingKafka() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("0.0.0.0"));
             LogCapture logs = new LogCapture()) {
            Outcome run = execute("run", "--bootstrap-servers", "127.0.0.1:" + freePort(),
                    "--set", "http.port=" + taken.getLocalPort());
            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.stderr().lines()).hasSize(1);
            assertThat(run.stderr()).contains("http.port").contains("address already in use")
                    .contains(String.valueOf(taken.getLocalPort()));
            assertThat(logs.lines()).noneMatch(l -> l.contains("Kafka at"));
        }
    }

    @Test
    void aMissingModelFileIsOneLineNamingTheKey() throws Exception {
        Outcome run = execute("run", "--bootstrap-servers", "127.0.0.1:9092", "--set", "inference.modelPath=/no/such/model.onnx");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.stderr().lines()).hasSize(1);
        assertThat(run.stderr()).contains("inference.modelPath").contains("/no/such/model.onnx");
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aServiceThatCannotReachKafkaSaysWhereStaysNotReadyAndConnectsOnceKafkaIsThere() throws Exception {
        int kafkaPort = freePort();
        String address = "127.0.0.1:" + kafkaPort;
        ServiceConfig config = ServiceConfig.from(Settings.defaults().with(Map.of(
                "kafka.bootstrap.servers", address, "http.port", "0", "http.host", "127.0.0.1", "topics.partitions", "1",
                // one attempt gives up after 5 s instead of 15 s: a shorter test
                "kafka.default.api.timeout.ms", "5000")));
        Vertx vertx = Vertx.vertx();
        HttpClient client = HttpClient.newHttpClient();
        try (LogCapture logs = new LogCapture()) {
            HemastreamService service = HemastreamService.launch(vertx, config).await(120, TimeUnit.SECONDS);
            try {
                String base = "http://127.0.0.1:" + service.httpPort();
                await().atMost(Duration.ofSeconds(60)).until(() -> logs.contains("cannot reach Kafka at " + address));
                HttpResponse<String> ready = get(client, base + "/health/ready");
                assertThat(ready.statusCode()).isEqualTo(503);
                JsonArray checks = new JsonObject(ready.body()).getJsonArray("checks");
                JsonObject kafka = checks.stream().map(JsonObject.class::cast)
                        .filter(c -> c.getString("name").equals("kafka")).findFirst().orElseThrow();
                assertThat(kafka.getString("status")).isEqualTo("DOWN");
                assertThat(kafka.getString("detail")).contains(address);
                assertThat(get(client, base + "/health/live").statusCode()).as("waiting for Kafka is no reason to restart")
                        .isEqualTo(200);
                assertThat(get(client, base + "/metrics").body()).contains("hemastream_ready 0.0");
                assertThat(service.connected().isComplete()).isFalse();

                try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Settings.defaults()
                        .withPort(kafkaPort))) {
                    service.connected().await(90, TimeUnit.SECONDS);
                    await().atMost(Duration.ofSeconds(60)).until(() -> get(client, base + "/health/ready").statusCode() == 200);
                    assertThat(get(client, base + "/metrics").body()).contains("hemastream_ready 1.0");
                    service.stop().await(30, TimeUnit.SECONDS);
                }
            } finally {
                service.stop().await(30, TimeUnit.SECONDS);
                vertx.close().await(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void theDemoTakesAFreePortWhenTheDefaultOneIsTakenAndBindsLoopbackUnlessToldOtherwise() throws Exception {
        ServerSocket ours = null;
        try {
            try {
                ours = new ServerSocket(8080, 1, InetAddress.getByName("127.0.0.1"));
            } catch (IOException alreadyTaken) {
                // someone else has 8080: the condition under test holds anyway
            }
            ByteArrayOutputStream printed = new ByteArrayOutputStream();
            Settings defaults = Settings.defaults();
            ServiceConfig.HttpConfig http = DemoCommand.demoHttp(defaults, ServiceConfig.from(defaults).http(),
                    new PrintStream(printed, true, StandardCharsets.UTF_8));
            assertThat(http.port()).isZero();
            assertThat(http.host()).isEqualTo("127.0.0.1");
            assertThat(printed.toString(StandardCharsets.UTF_8)).contains("port 8080 is taken");

            Settings explicit = Settings.defaults().with(Map.of("http.port", "8080", "http.host", "0.0.0.0"));
            ServiceConfig.HttpConfig asSet = DemoCommand.demoHttp(explicit, ServiceConfig.from(explicit).http(),
                    new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            assertThat(asSet.port()).as("a port the user chose is kept (and fails clearly if taken)").isEqualTo(8080);
            assertThat(asSet.host()).isEqualTo("0.0.0.0");
        } finally {
            if (ours != null) {
                ours.close();
            }
        }
    }

    private record Outcome(int exitCode, String stderr) {
    }

    /** Runs a command of the jar in this JVM, with what it prints to stderr. */
    private static synchronized Outcome execute(String... args) {
        PrintStream original = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.commandLine().execute(args);
            return new Outcome(code, err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(original);
        }
    }

    private static HttpResponse<String> get(HttpClient client, String url) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }
}
