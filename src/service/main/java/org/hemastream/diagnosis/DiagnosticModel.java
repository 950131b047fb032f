package org.hemastream.diagnosis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A diagnostic model as shipped: a LightGBM text model ({@value #MODEL_FILE}) and its sidecar
 * ({@value #SIDECAR_FILE}) naming the classes (in LightGBM's class order), the features (in column
 * order, as {@link FeatureAssembler} names them), the version and a training summary. LightGBM keeps
 * only names it can store (no spaces, no JSON punctuation); the sidecar's names are the canonical ones.
 *
 * <p>Thread-safe (see {@link LightGbmModel}); close it to free the native booster.
 */
public final class DiagnosticModel implements AutoCloseable {

    public static final String MODEL_FILE = "diagnostic-model.txt";
    public static final String SIDECAR_FILE = "diagnostic-model.json";
    /** The reference model in the jar. */
    public static final String RESOURCE_DIR = "models/";
    public static final String FORMAT = "hemastream-diagnostic-model/1";

    private final LightGbmModel booster;
    private final List<String> classes;
    private final List<String> features;
    private final String version;
    private final JsonNode sidecar;
    private final String source;

    private DiagnosticModel(LightGbmModel booster, JsonNode sidecar, String source) {
        this.booster = booster;
        this.sidecar = sidecar;
        this.source = source;
        this.version = text(sidecar, "version");
        this.classes = strings(sidecar, "classes");
        this.features = strings(sidecar, "features");
        if (booster.numFeatures() != features.size()) {
            throw new IllegalArgumentException(source + ": the LightGBM model has " + booster.numFeatures()
                    + " features, its sidecar names " + features.size());
        }
        int modelClasses = Math.max(2, booster.numClasses());
        if (modelClasses != classes.size()) {
            throw new IllegalArgumentException(source + ": the LightGBM model has " + modelClasses
                    + " classes, its sidecar names " + classes.size());
        }
    }

    /** Builds a model from its two texts (what {@code train-diagnosis} writes). */
    public static DiagnosticModel of(String modelText, String sidecarJson, String source) throws IOException {
        JsonNode sidecar = new ObjectMapper().readTree(sidecarJson);
        if (!FORMAT.equals(sidecar.path("format").asText())) {
            throw new IllegalArgumentException(source + ": sidecar format must be '" + FORMAT + "', was '"
                    + sidecar.path("format").asText() + "'");
        }
        return new DiagnosticModel(LightGbmModel.fromString(modelText), sidecar, source);
    }

    /**
     * Loads a model from a folder holding {@value #MODEL_FILE} and {@value #SIDECAR_FILE}, or from a
     * {@code .txt} model file with its {@code .json} sidecar beside it.
     */
    public static DiagnosticModel load(Path path) throws IOException {
        Path model = Files.isDirectory(path) ? path.resolve(MODEL_FILE) : path;
        String name = model.getFileName().toString();
        Path sidecar = model.resolveSibling((name.endsWith(".txt") ? name.substring(0, name.length() - 4) : name) + ".json");
        for (Path p : List.of(model, sidecar)) {
            if (!Files.isReadable(p)) {
                throw new IOException("diagnostic model: cannot read " + p);
            }
        }
        return of(Files.readString(model, StandardCharsets.UTF_8), Files.readString(sidecar, StandardCharsets.UTF_8),
                model.toString());
    }

    /** Loads the reference model shipped in the jar. */
    public static DiagnosticModel loadReference() throws IOException {
        return of(resource(MODEL_FILE), resource(SIDECAR_FILE), "classpath:" + RESOURCE_DIR + MODEL_FILE);
    }

    /** Loads the configured model, or the reference one when {@code path} is null. */
    public static DiagnosticModel loadOrReference(Path path) throws IOException {
        return path == null ? loadReference() : load(path);
    }

    private static String resource(String file) throws IOException {
        try (InputStream in = DiagnosticModel.class.getClassLoader().getResourceAsStream(RESOURCE_DIR + file)) {
            if (in == null) {
                throw new IOException("diagnostic model resource " + RESOURCE_DIR + file + " is not on the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Writes the two files into {@code dir}. */
    public static void write(Path dir, String modelText, ObjectNode sidecar) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(MODEL_FILE), modelText, StandardCharsets.UTF_8);
        Files.writeString(dir.resolve(SIDECAR_FILE),
                new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(sidecar) + "\n", StandardCharsets.UTF_8);
    }

    public List<String> classes() {
        return classes;
    }

    public List<String> features() {
        return features;
    }

    public String version() {
        return version;
    }

    /** Where it was loaded from. */
    public String source() {
        return source;
    }

    /** The sidecar as read (training summary included). */
    public JsonNode sidecar() {
        return sidecar;
    }

    /** Class probabilities, rows × classes row-major (binary models: both classes). */
    public double[] probabilities(double[] rowMajor, int rows) {
        double[] p = booster.predict(rowMajor, rows);
        if (booster.numClasses() > 1) {
            return p;
        }
        double[] both = new double[rows * 2];
        for (int r = 0; r < rows; r++) {
            both[2 * r] = 1 - p[r];
            both[2 * r + 1] = p[r];
        }
        return both;
    }

    /** Contributions, rows × numClasses × (features + 1), see {@link LightGbmModel#contributions}. */
    public double[] contributions(double[] rowMajor, int rows) {
        return booster.contributions(rowMajor, rows);
    }

    /** Classes LightGBM computes contributions for (1 for a binary model: the positive class). */
    public int contributionClasses() {
        return booster.numClasses();
    }

    @Override
    public void close() {
        booster.close();
    }

    /** A feature name LightGBM will store unchanged: JSON punctuation and whitespace become '_'. */
    public static String lightGbmName(String feature) {
        return feature.replaceAll("[\\s\",:\\[\\]{}]", "_");
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new IllegalArgumentException("diagnostic model sidecar: '" + field + "' must be a non-empty string");
        }
        return v.asText();
    }

    private static List<String> strings(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isArray() || v.isEmpty()) {
            throw new IllegalArgumentException("diagnostic model sidecar: '" + field + "' must be a non-empty array");
        }
        List<String> out = new ArrayList<>();
        v.forEach(e -> out.add(e.asText()));
        return List.copyOf(out);
    }
}
