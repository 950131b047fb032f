package org.hemastream.inference;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Configuration of a {@link CellClassifier}: which model, where it runs, how many threads ONNX Runtime
 * may use per call, and the bounds on incoming images. Immutable; validated on construction with a
 * message that names the key and the allowed range.
 *
 * @param modelPath         an ONNX file, or {@code null} for the reference model in the jar
 *                          ({@value CellClassifier#DEFAULT_MODEL_RESOURCE} on the classpath)
 * @param executionProvider cpu, cuda or auto
 * @param intraOpThreads    threads ONNX Runtime uses inside one operator of one call, 1..256, or 0 for
 *                          ONNX Runtime's default (one per physical core). With a pool of worker threads
 *                          calling the classifier concurrently, keep workers x intra-op threads &lt;= cores
 * @param interOpThreads    threads for running independent operators in parallel, 1..256, or 0 for the
 *                          default
 * @param maxImageBytes     largest accepted encoded image, bytes, &gt;= 1
 * @param maxImagePixels    largest accepted width x height, pixels, &gt;= 1
 * @param siteProfile       a {@link SiteProfile} to apply to the model (blast threshold, slide rule), or null
 */
public record ClassifierConfig(Path modelPath, ExecutionProvider executionProvider, int intraOpThreads,
                               int interOpThreads, long maxImageBytes, long maxImagePixels, Path siteProfile) {

    public static final String KEY_MODEL_PATH = "inference.modelPath";
    public static final String KEY_EXECUTION_PROVIDER = "inference.executionProvider";
    public static final String KEY_INTRA_OP_THREADS = "inference.intraOpThreads";
    public static final String KEY_INTER_OP_THREADS = "inference.interOpThreads";
    public static final String KEY_MAX_IMAGE_BYTES = "inference.maxImageBytes";
    public static final String KEY_MAX_IMAGE_PIXELS = "inference.maxImagePixels";

    public static final ExecutionProvider DEFAULT_EXECUTION_PROVIDER = ExecutionProvider.CPU;
    public static final int DEFAULT_INTRA_OP_THREADS = 1;
    public static final int DEFAULT_INTER_OP_THREADS = 1;
    public static final long DEFAULT_MAX_IMAGE_BYTES = ImageLimits.DEFAULT.maxBytes();
    public static final long DEFAULT_MAX_IMAGE_PIXELS = ImageLimits.DEFAULT.maxPixels();

    private static final int MAX_THREADS = 256;

    public ClassifierConfig {
        if (executionProvider == null) {
            throw new IllegalArgumentException(KEY_EXECUTION_PROVIDER + " must be one of cpu, cuda, auto; was null");
        }
        requireThreads(KEY_INTRA_OP_THREADS, intraOpThreads);
        requireThreads(KEY_INTER_OP_THREADS, interOpThreads);
        if (maxImageBytes < 1) {
            throw new IllegalArgumentException(KEY_MAX_IMAGE_BYTES + " must be >= 1 (bytes), was " + maxImageBytes);
        }
        if (maxImagePixels < 1) {
            throw new IllegalArgumentException(KEY_MAX_IMAGE_PIXELS + " must be >= 1 (pixels), was " + maxImagePixels);
        }
    }

    /** The reference model on the CPU, one intra-op and one inter-op thread, default image limits. */
    public static ClassifierConfig defaults() {
        return new ClassifierConfig(null, DEFAULT_EXECUTION_PROVIDER, DEFAULT_INTRA_OP_THREADS,
                DEFAULT_INTER_OP_THREADS, DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_IMAGE_PIXELS, null);
    }

    public ClassifierConfig withModelPath(Path path) {
        return new ClassifierConfig(path, executionProvider, intraOpThreads, interOpThreads, maxImageBytes,
                maxImagePixels, siteProfile);
    }

    public ClassifierConfig withExecutionProvider(ExecutionProvider provider) {
        return new ClassifierConfig(modelPath, Objects.requireNonNull(provider, KEY_EXECUTION_PROVIDER),
                intraOpThreads, interOpThreads, maxImageBytes, maxImagePixels, siteProfile);
    }

    public ClassifierConfig withThreads(int intraOp, int interOp) {
        return new ClassifierConfig(modelPath, executionProvider, intraOp, interOp, maxImageBytes, maxImagePixels, siteProfile);
    }

    public ClassifierConfig withImageLimits(long maxBytes, long maxPixels) {
        return new ClassifierConfig(modelPath, executionProvider, intraOpThreads, interOpThreads, maxBytes, maxPixels, siteProfile);
    }

    /** With a site profile to apply (null = none). */
    public ClassifierConfig withSiteProfile(Path profile) {
        return new ClassifierConfig(modelPath, executionProvider, intraOpThreads, interOpThreads, maxImageBytes,
                maxImagePixels, profile);
    }

    /** The image bounds as the decoder takes them. */
    public ImageLimits imageLimits() {
        return new ImageLimits(maxImageBytes, maxImagePixels);
    }

    private static void requireThreads(String key, int value) {
        if (value < 0 || value > MAX_THREADS) {
            throw new IllegalArgumentException(key + " must be in 0.." + MAX_THREADS
                    + " (0 = ONNX Runtime's default), was " + value);
        }
    }
}
