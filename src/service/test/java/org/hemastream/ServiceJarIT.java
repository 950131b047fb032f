package org.hemastream;

import org.hemastream.kafka.EmbeddedKafkaBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The production artifact as built ({@code target/hemastream-service.jar}; run by the {@code service-jar} execution
 * after {@code package}). It must hold no class of an artifact the service has on its test class path only — the
 * in-JVM broker with Kafka's server, raft, metadata, storage and controller, Scala, the test libraries — which is
 * exact where a name-based check is not: kafka-clients legitimately carries {@code org/apache/kafka/server/...}
 * packages. Natives for Linux and the one architecture it was built for, no models (they are
 * {@code target/hemastream-models.jar}, named on the jar's manifest {@code Class-Path}), a size budget, and it must start
 * with nothing but the models jar beside it, as a process.
 */
class ServiceJarIT {

    private static final Path JAR = Path.of(System.getProperty("hemastream.serviceJar", "target/hemastream-service.jar"));
    private static final Path MODELS_JAR =
            Path.of(System.getProperty("hemastream.modelsJar", "target/hemastream-models.jar"));
    private static final String ARCH = System.getProperty("hemastream.serviceJar.arch", "x64");
    /** The folder names each bundled library uses for the jar's architecture. */
    private static final Pattern LINUX_OF_ARCH = Pattern.compile("(?i).*linux[-/]("
            + (ARCH.equals("aarch64") ? "aarch64" : "x64|amd64|x86_64|x86-64") + ")/[^/]+");
    private static final Pattern NATIVE = Pattern.compile("(?i).*(\\.so|\\.dll|\\.dylib|\\.jnilib|\\.a|\\.dsym/.*)$");

    @Test
    void holdsNoClassFromATestOnlyArtifact() throws IOException {
        List<Path> runtime = classpath("hemastream.runtimeClasspath");
        List<Path> testOnly = classpath("hemastream.testClasspath");
        testOnly.removeAll(runtime);
        Set<String> forbidden = classes(testOnly);
        forbidden.removeAll(classes(runtime));
        assertThat(forbidden).as("the broker is on the test class path, so its classes are what the check looks for")
                .contains("kafka/server/KafkaRaftServer.class", "org/hemastream/kafka/EmbeddedKafkaBroker.class",
                        "scala/Option.class");

        Set<String> leaked = new TreeSet<>();
        for (String entry : entries(JAR)) {
            if (forbidden.contains(entry) || entry.startsWith("scala/")) {
                leaked.add(entry);
            }
        }
        assertThat(leaked).as("classes from test-only artifacts (broker, Kafka server, Scala) in " + JAR).isEmpty();
        assertThat(entries(JAR)).as("the service itself and its Kafka client")
                .contains("org/hemastream/ServiceMain.class", "org/apache/kafka/clients/consumer/KafkaConsumer.class");
    }

    @Test
    void shipsLinuxNativesOfItsArchitectureOnly() throws IOException {
        List<String> natives = entries(JAR).stream().filter(e -> NATIVE.matcher(e).matches()).toList();
        assertThat(natives).as("native libraries other than Linux " + ARCH)
                .allMatch(e -> LINUX_OF_ARCH.matcher(e).matches());
        String ort = ARCH.equals("aarch64") ? "linux-aarch64" : "linux-x64";
        String lightgbm = ARCH.equals("aarch64") ? "aarch64" : "x86_64";
        String jna = ARCH.equals("aarch64") ? "linux-aarch64" : "linux-x86-64";
        assertThat(natives).contains(
                "ai/onnxruntime/native/" + ort + "/libonnxruntime.so",
                "lightgbm4j/linux/" + lightgbm + "/lib_lightgbm.so",
                "com/sun/jna/" + jna + "/libjnidispatch.so");
    }

    @Test
    void leavesTheModelsToTheModelsJar() throws IOException {
        assertThat(entries(JAR)).as("models in " + JAR).noneMatch(e -> e.startsWith("models/"));
        assertThat(entries(MODELS_JAR)).contains("models/cell-classifier.onnx", "models/cell-label-map.json",
                "models/diagnostic-model.txt", "models/diagnostic-model.json");
        try (java.util.jar.JarFile jar = new java.util.jar.JarFile(JAR.toFile())) {
            assertThat(jar.getManifest().getMainAttributes().getValue("Class-Path"))
                    .as("manifest Class-Path of " + JAR).isEqualTo(MODELS_JAR.getFileName().toString());
        }
    }

    @Test
    void fitsTheSizeBudget() throws IOException {
        long budget = Long.getLong("hemastream.serviceJar.maxBytes");
        assertThat(Files.size(JAR)).as(JAR + " in bytes").isLessThanOrEqualTo(budget);
    }

    /**
     * The jar with only the models jar beside it ({@code java -jar}, copied to an empty folder so that nothing else can
     * be on its class path) becomes ready against a real broker.
     */
    @Test
    @Timeout(value = 300)
    void runsOnItsOwnAndBecomesReady(@TempDir Path dir) throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            int port = freePort();
            Path log = dir.resolve("service.log");
            Path installed = Files.createDirectory(dir.resolve("app"));
            Path jar = Files.copy(JAR, installed.resolve(JAR.getFileName()));
            Files.copy(MODELS_JAR, installed.resolve(MODELS_JAR.getFileName()));
            Process service = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx1g", "-jar", jar.toString(), "run", "--bootstrap-servers", broker.bootstrapServers(),
                    "--set", "http.port=" + port, "--set", "http.host=127.0.0.1")
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                int status = awaitReady(service, URI.create("http://127.0.0.1:" + port + "/health/ready"));
                assertThat(status).as("GET /health/ready; service log:%n%s", Files.readString(log)).isEqualTo(200);
            } finally {
                service.destroy();
                if (!service.waitFor(60, TimeUnit.SECONDS)) {
                    service.destroyForcibly();
                }
            }
        }
    }

    /** The last status seen before the service answered 200, exited, or 4 minutes passed (−1: never answered). */
    private static int awaitReady(Process service, URI ready) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        Instant deadline = Instant.now().plus(Duration.ofMinutes(4));
        int status = -1;
        while (Instant.now().isBefore(deadline) && service.isAlive()) {
            try {
                status = http.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status == 200) {
                    return status;
                }
            } catch (IOException notListeningYet) {
                // the JVM and the model take seconds to start
            }
            Thread.sleep(500);
        }
        return status;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** A class path written by maven-dependency-plugin's build-classpath (see the service POM). */
    private static List<Path> classpath(String property) throws IOException {
        String text = Files.readString(Path.of(System.getProperty(property))).trim();
        return new ArrayList<>(Arrays.stream(text.split(java.io.File.pathSeparator)).map(Path::of).toList());
    }

    private static Set<String> classes(List<Path> classpath) throws IOException {
        Set<String> classes = new HashSet<>();
        for (Path element : classpath) {
            if (Files.isDirectory(element)) {
                try (Stream<Path> files = Files.walk(element)) {
                    files.filter(f -> f.toString().endsWith(".class"))
                            .forEach(f -> classes.add(element.relativize(f).toString().replace('\\', '/')));
                }
            } else if (Files.isRegularFile(element)) {
                entries(element).stream().filter(e -> e.endsWith(".class")).forEach(classes::add);
            }
        }
        return classes;
    }

    private static List<String> entries(Path jar) {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            return zip.stream().filter(e -> !e.isDirectory()).map(ZipEntry::getName).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + jar, e);
        }
    }
}
