package org.hemastream.inference;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cell-image classifier: one ONNX Runtime session over a model obeying contract
 * {@value CellModelMetadata#CONTRACT}, whose metadata supplies every class name, attribute, size and
 * constant.
 *
 * <p>Threading: {@link #classify(List)} and {@link #classifyTensor(FloatBuffer, int)} may be called from
 * several worker threads at once ({@code OrtSession.run} is thread-safe); each calling thread gets its
 * own direct input buffer, grown on demand and reused across calls. Calls block for the whole inference:
 * never call them on a Vert.x event loop. {@link #close()} must not race with running calls.
 */
public final class CellClassifier implements AutoCloseable {

    /** Classpath location of the reference model shipped in the jar. */
    public static final String DEFAULT_MODEL_RESOURCE = "models/cell-classifier.onnx";

    private static final Logger log = LoggerFactory.getLogger(CellClassifier.class);

    private final OrtEnvironment env;
    private final OrtSession session;
    private final CellModelMetadata metadata;
    private final CellPreprocessor preprocessor;
    private final ExecutionProvider provider;
    private final String source;
    private final int blastIndex;
    private final double blastThreshold;
    private final String modelSha256;
    private final SiteProfile siteProfile;
    private final ThreadLocal<FloatBuffer> inputBuffers = new ThreadLocal<>();

    private CellClassifier(OrtEnvironment env, OrtSession session, CellModelMetadata metadata,
                           ExecutionProvider provider, String source, String modelSha256, SiteProfile siteProfile) {
        this.modelSha256 = modelSha256;
        this.siteProfile = siteProfile;
        this.env = env;
        this.session = session;
        this.metadata = metadata;
        this.preprocessor = new CellPreprocessor(metadata);
        this.provider = provider;
        this.source = source;
        this.blastIndex = metadata.cellTypeIndex(CellModelMetadata.BLAST);
        this.blastThreshold = metadata.blastThreshold().orElse(Double.NaN);
    }

    /**
     * Loads the configured model (file, or the jar's reference model), reads and checks its metadata
     * against its graph, and opens a session on the configured execution provider.
     *
     * @throws IOException                   when the model file or resource cannot be read
     * @throws OrtException                  when ONNX Runtime cannot load the model (or, for {@code cuda},
     *                                       cannot use CUDA)
     * @throws InvalidModelMetadataException when the model does not follow the metadata contract
     */
    public static CellClassifier open(ClassifierConfig config) throws IOException, OrtException {
        Objects.requireNonNull(config, "config");
        String source;
        byte[] model;
        if (config.modelPath() == null) {
            source = "classpath:" + DEFAULT_MODEL_RESOURCE;
            try (InputStream in = CellClassifier.class.getClassLoader().getResourceAsStream(DEFAULT_MODEL_RESOURCE)) {
                if (in == null) {
                    throw new IOException("cell model resource " + DEFAULT_MODEL_RESOURCE + " is not on the classpath");
                }
                model = in.readAllBytes();
            }
        } else {
            source = config.modelPath().toString();
            if (!Files.isRegularFile(config.modelPath())) {
                throw new IOException(ClassifierConfig.KEY_MODEL_PATH + ": no model file at " + config.modelPath());
            }
            model = Files.readAllBytes(config.modelPath());
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Opened opened = openSession(env, model, config);
        try {
            CellModelMetadata metadata = CellModelMetadata.fromCustomMetadata(
                    opened.session.getMetadata().getCustomMetadata());
            checkAgainstGraph(metadata, opened.session);
            String sha256 = sha256(model);
            SiteProfile profile = null;
            if (config.siteProfile() != null) {
                profile = SiteProfile.read(config.siteProfile());
                metadata = profile.applyTo(metadata, sha256);
                log.info("site profile {} in force (calibrated {} for {}): blast threshold {}, slide rule {}",
                        config.siteProfile(), profile.json().getString("createdAt", "?"), profile.parentModelVersion(),
                        profile.blastThreshold(), metadata.slideAlertRule());
            }
            CellClassifier classifier = new CellClassifier(env, opened.session, metadata, opened.provider, source,
                    sha256, profile);
            log.info("cell model {} loaded from {}: {} cell types, {} attributes, input {}x{}, provider {}, "
                            + "intra-op threads {}, blast threshold {}", metadata.modelVersion(), source,
                    metadata.cellTypes().size(), metadata.attributes().size(), metadata.input().width(),
                    metadata.input().height(), opened.provider, config.intraOpThreads(),
                    metadata.blastThreshold().isPresent() ? metadata.blastThreshold().getAsDouble() : "none");
            return classifier;
        } catch (RuntimeException | OrtException | IOException e) {
            opened.session.close();
            throw e;
        }
    }

    private record Opened(OrtSession session, ExecutionProvider provider) {
    }

    private static Opened openSession(OrtEnvironment env, byte[] model, ClassifierConfig config) throws OrtException {
        ExecutionProvider wanted = config.executionProvider();
        if (wanted == ExecutionProvider.CPU) {
            return new Opened(createSession(env, model, config, false), ExecutionProvider.CPU);
        }
        if (wanted == ExecutionProvider.CUDA) {
            try {
                return new Opened(createSession(env, model, config, true), ExecutionProvider.CUDA);
            } catch (OrtException e) {
                throw new OrtException(e.getCode(), ClassifierConfig.KEY_EXECUTION_PROVIDER + "=cuda, but ONNX Runtime "
                        + "cannot use CUDA (" + e.getMessage() + "); it needs the GPU build (mvn -Pgpu), a CUDA "
                        + "device and its libraries, or use cpu/auto");
            }
        }
        if (!OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA)) {
            log.info("execution provider auto: CUDA is not in this ONNX Runtime build (providers {}), using CPU; "
                    + "build with -Pgpu for CUDA", OrtEnvironment.getAvailableProviders());
            return new Opened(createSession(env, model, config, false), ExecutionProvider.CPU);
        }
        try {
            return new Opened(createSession(env, model, config, true), ExecutionProvider.CUDA);
        } catch (OrtException e) {
            log.info("execution provider auto: CUDA failed ({}), using CPU", e.getMessage());
            return new Opened(createSession(env, model, config, false), ExecutionProvider.CPU);
        }
    }

    private static OrtSession createSession(OrtEnvironment env, byte[] model, ClassifierConfig config,
                                            boolean cuda) throws OrtException {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(config.intraOpThreads());
            options.setInterOpNumThreads(config.interOpThreads());
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            // Spinning threads burn idle cores that the decoding workers and Kafka need.
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            options.addConfigEntry("session.inter_op.allow_spinning", "0");
            if (cuda) {
                options.addCUDA(0);
            }
            return env.createSession(model, options);
        }
    }

    /** The graph must have the input and outputs the metadata names, with compatible static dimensions. */
    private static void checkAgainstGraph(CellModelMetadata md, OrtSession session) throws OrtException {
        Map<String, NodeInfo> inputs = session.getInputInfo();
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        String in = md.input().name();
        if (!inputs.containsKey(in)) {
            throw new InvalidModelMetadataException(CellModelMetadata.KEY_INPUT,
                    "input '" + in + "' is not an input of the model; its inputs are " + inputs.keySet());
        }
        checkShape(CellModelMetadata.KEY_INPUT, in, inputs.get(in),
                new long[]{-1, 3, md.input().height(), md.input().width()});
        checkOutput(CellModelMetadata.KEY_CELL_TYPES, md.cellTypeOutput(), md.cellTypes().size(), outputs);
        for (CellModelMetadata.AttributeSpec a : md.attributes()) {
            checkOutput(CellModelMetadata.KEY_ATTRIBUTES, a.output(), a.values().size(), outputs);
        }
    }

    private static void checkOutput(String key, String name, int width, Map<String, NodeInfo> outputs) {
        if (!outputs.containsKey(name)) {
            throw new InvalidModelMetadataException(key,
                    "output '" + name + "' is not an output of the model; its outputs are " + outputs.keySet());
        }
        checkShape(key, name, outputs.get(name), new long[]{-1, width});
    }

    /** Compares ranks and the static dimensions (negative = dynamic, matches anything). */
    private static void checkShape(String key, String name, NodeInfo info, long[] expected) {
        if (!(info.getInfo() instanceof TensorInfo tensor)) {
            throw new InvalidModelMetadataException(key, "'" + name + "' is not a tensor");
        }
        long[] shape = tensor.getShape();
        boolean ok = shape.length == expected.length;
        for (int i = 0; ok && i < shape.length; i++) {
            ok = shape[i] < 0 || expected[i] < 0 || shape[i] == expected[i];
        }
        if (!ok) {
            throw new InvalidModelMetadataException(key, "'" + name + "' has shape " + Arrays.toString(shape)
                    + ", the metadata implies " + Arrays.toString(expected).replace("-1", "N"));
        }
    }

    /** SHA-256 (hex) of the model file as loaded: what a site profile is bound to. */
    public String modelSha256() {
        return modelSha256;
    }

    /** The site profile applied to the model, or null. */
    public SiteProfile siteProfile() {
        return siteProfile;
    }

    /** Lower-case hex SHA-256. */
    public static String sha256(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** The model's self-description (with the site profile applied, when one is). */
    public CellModelMetadata metadata() {
        return metadata;
    }

    /** The preprocessing this model needs (for callers that fill tensors themselves). */
    public CellPreprocessor preprocessor() {
        return preprocessor;
    }

    /** Where inference actually runs (never {@code AUTO}). */
    public ExecutionProvider executionProvider() {
        return provider;
    }

    /** Where the model came from: a file path or {@code classpath:...}. */
    public String source() {
        return source;
    }

    /**
     * Classifies one batch: fits and normalises every image, then runs the model once.
     *
     * @param images decoded cell images of any size
     * @return one prediction per image, in the same order
     */
    public List<CellPrediction> classify(List<DecodedImage> images) throws OrtException {
        if (images.isEmpty()) {
            return List.of();
        }
        FloatBuffer input = inputBuffer(images.size());
        for (int i = 0; i < images.size(); i++) {
            preprocessor.fitAndWrite(images.get(i), input, i);
        }
        return classifyTensor(input, images.size());
    }

    /**
     * Runs the model on an already normalised batch, e.g. one filled with {@link #preprocessor()}.
     *
     * @param nchw  {@code count x 3 x height x width} floats between position and limit; a direct buffer
     *              in native byte order is used without copying
     * @param count images in the batch, &gt;= 1
     */
    public List<CellPrediction> classifyTensor(FloatBuffer nchw, int count) throws OrtException {
        int per = preprocessor.valuesPerImage();
        if (count < 1 || nchw.remaining() != (long) count * per) {
            throw new IllegalArgumentException("expected " + count + " x " + per + " floats, buffer holds "
                    + nchw.remaining());
        }
        long[] shape = {count, 3, preprocessor.height(), preprocessor.width()};
        try (OnnxTensor tensor = OnnxTensor.createTensor(env, nchw, shape);
             OrtSession.Result result = session.run(Map.of(metadata.input().name(), tensor))) {
            List<String> types = metadata.cellTypes();
            float[] typeProbs = read(result, metadata.cellTypeOutput(), count, types.size());
            List<CellModelMetadata.AttributeSpec> specs = metadata.attributes();
            List<float[]> attrProbs = new ArrayList<>(specs.size());
            for (CellModelMetadata.AttributeSpec a : specs) {
                attrProbs.add(read(result, a.output(), count, a.values().size()));
            }
            List<CellPrediction> out = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                out.add(prediction(i, typeProbs, attrProbs));
            }
            return out;
        }
    }

    private CellPrediction prediction(int row, float[] typeProbs, List<float[]> attrProbs) {
        List<String> types = metadata.cellTypes();
        Map<String, Double> byType = new LinkedHashMap<>();
        int top = 0;
        int off = row * types.size();
        for (int c = 0; c < types.size(); c++) {
            byType.put(types.get(c), (double) typeProbs[off + c]);
            if (typeProbs[off + c] > typeProbs[off + top]) {
                top = c;
            }
        }
        Map<String, AttributePrediction> attributes = new LinkedHashMap<>();
        List<CellModelMetadata.AttributeSpec> specs = metadata.attributes();
        for (int a = 0; a < specs.size(); a++) {
            List<String> values = specs.get(a).values();
            float[] p = attrProbs.get(a);
            int aoff = row * values.size();
            Map<String, Double> byValue = new LinkedHashMap<>();
            int best = 0;
            for (int v = 0; v < values.size(); v++) {
                byValue.put(values.get(v), (double) p[aoff + v]);
                if (p[aoff + v] > p[aoff + best]) {
                    best = v;
                }
            }
            attributes.put(specs.get(a).name(),
                    new AttributePrediction(specs.get(a).name(), values.get(best), p[aoff + best], byValue));
        }
        OptionalDouble blast = blastIndex < 0 ? OptionalDouble.empty() : OptionalDouble.of(typeProbs[off + blastIndex]);
        boolean flagged = blast.isPresent() && blast.getAsDouble() >= blastThreshold;
        return new CellPrediction(byType, types.get(top), typeProbs[off + top], attributes, blast, flagged);
    }

    private static float[] read(OrtSession.Result result, String name, int rows, int cols) throws OrtException {
        OnnxValue value = result.get(name).orElseThrow(
                () -> new IllegalStateException("model returned no output '" + name + "'"));
        if (!(value instanceof OnnxTensor tensor)) {
            throw new IllegalStateException("output '" + name + "' is not a tensor");
        }
        long[] shape = tensor.getInfo().getShape();
        if (shape.length != 2 || shape[0] != rows || shape[1] != cols) {
            throw new IllegalStateException("output '" + name + "' has shape " + Arrays.toString(shape)
                    + ", expected [" + rows + ", " + cols + "]");
        }
        float[] out = new float[rows * cols];
        tensor.getFloatBuffer().get(out);
        return out;
    }

    /** This thread's direct input buffer, grown when a batch needs more, positioned at 0 with limit = batch. */
    private FloatBuffer inputBuffer(int images) {
        int floats = images * preprocessor.valuesPerImage();
        FloatBuffer buffer = inputBuffers.get();
        if (buffer == null || buffer.capacity() < floats) {
            buffer = ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
            inputBuffers.set(buffer);
        }
        buffer.clear().limit(floats);
        return buffer;
    }

    /** Allocates a direct native-order buffer for {@code images} images, for callers of {@link #classifyTensor}. */
    public FloatBuffer newInputBuffer(int images) {
        return ByteBuffer.allocateDirect(images * preprocessor.valuesPerImage() * Float.BYTES)
                .order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /** Closes the session; no call may be running or start afterwards. */
    @Override
    public void close() throws OrtException {
        session.close();
    }
}
