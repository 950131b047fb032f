package org.hemastream.diagnosis;

import com.microsoft.ml.lightgbm.SWIGTYPE_p_double;
import com.microsoft.ml.lightgbm.SWIGTYPE_p_float;
import com.microsoft.ml.lightgbm.SWIGTYPE_p_int;
import com.microsoft.ml.lightgbm.SWIGTYPE_p_long_long;
import com.microsoft.ml.lightgbm.SWIGTYPE_p_p_void;
import com.microsoft.ml.lightgbm.SWIGTYPE_p_void;
import com.microsoft.ml.lightgbm.lightgbmlib;
import com.microsoft.ml.lightgbm.lightgbmlibConstants;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A LightGBM model loaded from its text form, predicting through the C API directly.
 *
 * <p><b>Why not {@code LGBMBooster.predictForMat}:</b> in LightGBM4J 4.3.0-1 it sizes its output buffer
 * as 2 × rows whatever the number of classes, so for a multiclass model (≥ 3 classes) LightGBM writes
 * past the end and corrupts the native heap — the JVM aborts with {@code free(): invalid size}
 * (../shared/STACK.md). Here the buffer is sized by {@code LGBM_BoosterCalcNumPredict} for every call,
 * for probabilities and for contributions alike; {@code LightGbmModelTest} pins it.
 *
 * <p>Thread-safe: LightGBM's predictors take a shared lock on the booster; {@link #close()} must not
 * race with a running prediction. Calls block (native code): never on an event loop.
 */
public final class LightGbmModel implements AutoCloseable {

    private static boolean nativeLoaded;

    private final SWIGTYPE_p_void handle;
    private final int numClasses;
    private final int numFeatures;
    private final String text;
    private volatile boolean closed;

    private LightGbmModel(SWIGTYPE_p_void handle, int numClasses, int numFeatures, String text) {
        this.handle = handle;
        this.numClasses = numClasses;
        this.numFeatures = numFeatures;
        this.text = text;
    }

    /** Loads a model from LightGBM's text format. */
    public static LightGbmModel fromString(String modelText) {
        loadNative();
        SWIGTYPE_p_int iterations = lightgbmlib.new_intp();
        SWIGTYPE_p_p_void out = lightgbmlib.new_voidpp();
        SWIGTYPE_p_int count = lightgbmlib.new_intp();
        try {
            check(lightgbmlib.LGBM_BoosterLoadModelFromString(modelText, iterations, out), "loading the model");
            SWIGTYPE_p_void handle = lightgbmlib.voidpp_value(out);
            check(lightgbmlib.LGBM_BoosterGetNumClasses(handle, count), "reading its class count");
            int classes = lightgbmlib.intp_value(count);
            check(lightgbmlib.LGBM_BoosterGetNumFeature(handle, count), "reading its feature count");
            return new LightGbmModel(handle, classes, lightgbmlib.intp_value(count), modelText);
        } finally {
            lightgbmlib.delete_intp(iterations);
            lightgbmlib.delete_intp(count);
            lightgbmlib.delete_voidpp(out);
        }
    }

    /**
     * Trains a model and returns its text. {@code params} must hold the objective (and {@code num_class}
     * for multiclass); missing values are {@code NaN}. Uses the C API directly, like prediction (see
     * {@link #loadNative()} for why LightGBM4J's own classes are never touched).
     *
     * @param rowMajor     rows × featureNames.length values
     * @param labels       one label per row (class index for multiclass)
     * @param featureNames names LightGBM accepts (no JSON special characters, no spaces)
     */
    public static String train(double[] rowMajor, int rows, float[] labels, String[] featureNames, String params,
                               int iterations) {
        loadNative();
        int cols = featureNames.length;
        SWIGTYPE_p_double data = lightgbmlib.new_doubleArray(rowMajor.length);
        SWIGTYPE_p_float label = lightgbmlib.new_floatArray(labels.length);
        SWIGTYPE_p_p_void datasetOut = lightgbmlib.new_voidpp();
        SWIGTYPE_p_p_void boosterOut = lightgbmlib.new_voidpp();
        SWIGTYPE_p_int finished = lightgbmlib.new_intp();
        SWIGTYPE_p_long_long length = lightgbmlib.new_int64_tp();
        SWIGTYPE_p_void dataset = null;
        SWIGTYPE_p_void booster = null;
        try {
            for (int i = 0; i < rowMajor.length; i++) {
                lightgbmlib.doubleArray_setitem(data, i, rowMajor[i]);
            }
            for (int i = 0; i < labels.length; i++) {
                lightgbmlib.floatArray_setitem(label, i, labels[i]);
            }
            check(lightgbmlib.LGBM_DatasetCreateFromMat(lightgbmlib.double_to_voidp_ptr(data),
                    lightgbmlibConstants.C_API_DTYPE_FLOAT64, rows, cols, 1, "max_bin=63 " + params, null, datasetOut),
                    "creating the training set");
            dataset = lightgbmlib.voidpp_value(datasetOut);
            check(lightgbmlib.LGBM_DatasetSetFeatureNames(dataset, featureNames, cols), "naming the features");
            check(lightgbmlib.LGBM_DatasetSetField(dataset, "label", lightgbmlib.float_to_voidp_ptr(label), rows,
                    lightgbmlibConstants.C_API_DTYPE_FLOAT32), "setting the labels");
            check(lightgbmlib.LGBM_BoosterCreate(dataset, params, boosterOut), "creating the booster");
            booster = lightgbmlib.voidpp_value(boosterOut);
            for (int i = 0; i < iterations; i++) {
                check(lightgbmlib.LGBM_BoosterUpdateOneIter(booster, finished), "boosting");
                if (lightgbmlib.intp_value(finished) == 1) {
                    break;
                }
            }
            String text = lightgbmlib.LGBM_BoosterSaveModelToStringSWIG(booster, 0, -1,
                    lightgbmlibConstants.C_API_FEATURE_IMPORTANCE_SPLIT, 64L * 1024 * 1024, length);
            if (text == null) {
                throw new IllegalStateException("LightGBM failed saving the model: " + lightgbmlib.LGBM_GetLastError());
            }
            return text;
        } finally {
            if (booster != null) {
                lightgbmlib.LGBM_BoosterFree(booster);
            }
            if (dataset != null) {
                lightgbmlib.LGBM_DatasetFree(dataset);
            }
            lightgbmlib.delete_doubleArray(data);
            lightgbmlib.delete_floatArray(label);
            lightgbmlib.delete_voidpp(datasetOut);
            lightgbmlib.delete_voidpp(boosterOut);
            lightgbmlib.delete_intp(finished);
            lightgbmlib.delete_int64_tp(length);
        }
    }

    public int numClasses() {
        return numClasses;
    }

    public int numFeatures() {
        return numFeatures;
    }

    /** The model in LightGBM's text format, as loaded. */
    public String text() {
        return text;
    }

    /**
     * Class probabilities (softmax for multiclass; P(positive) for binary).
     *
     * @return rows × {@link #numClasses()} values, row-major
     */
    public double[] predict(double[] rowMajor, int rows) {
        return run(rowMajor, rows, lightgbmlibConstants.C_API_PREDICT_NORMAL);
    }

    /**
     * SHAP-style feature contributions on the raw (log-odds) scale: per row, per class, one value per
     * feature followed by the bias; each block sums to that class's raw score.
     *
     * @return rows × numClasses × (numFeatures + 1) values
     */
    public double[] contributions(double[] rowMajor, int rows) {
        return run(rowMajor, rows, lightgbmlibConstants.C_API_PREDICT_CONTRIB);
    }

    /*
     * Synchronized: LightGBM's contribution prediction is not thread-safe — GBDT::PredictContrib calls
     * Tree::RecomputeMaxDepth() on every tree, which rewrites the tree's leaf-depth vector; two worker
     * threads scoring at once crashed the JVM with SIGSEGV in RecomputeMaxDepth (load test, 2026-11-26).
     * Scores are a few per specimen, so one lock per model costs nothing; it also keeps close() from
     * freeing the booster under a running prediction.
     */
    private synchronized double[] run(double[] rowMajor, int rows, int predictType) {
        if (closed) {
            throw new IllegalStateException("model closed");
        }
        if (rows < 1 || rowMajor.length != (long) rows * numFeatures) {
            throw new IllegalArgumentException("expected " + rows + " x " + numFeatures + " values, got " + rowMajor.length);
        }
        SWIGTYPE_p_double data = lightgbmlib.new_doubleArray(rowMajor.length);
        SWIGTYPE_p_long_long needed = lightgbmlib.new_int64_tp();
        SWIGTYPE_p_long_long written = lightgbmlib.new_int64_tp();
        SWIGTYPE_p_double out = null;
        try {
            for (int i = 0; i < rowMajor.length; i++) {
                lightgbmlib.doubleArray_setitem(data, i, rowMajor[i]);
            }
            check(lightgbmlib.LGBM_BoosterCalcNumPredict(handle, rows, predictType, 0, -1, needed),
                    "sizing the prediction");
            long length = lightgbmlib.int64_tp_value(needed);
            out = lightgbmlib.new_doubleArray(length);
            check(lightgbmlib.LGBM_BoosterPredictForMat(handle, lightgbmlib.double_to_voidp_ptr(data),
                    lightgbmlibConstants.C_API_DTYPE_FLOAT64, rows, numFeatures, 1, predictType, 0, -1,
                    "num_threads=1", written, out), "predicting");
            long n = lightgbmlib.int64_tp_value(written);
            if (n != length) {
                throw new IllegalStateException("LightGBM wrote " + n + " values, " + length + " expected");
            }
            double[] result = new double[(int) n];
            for (int i = 0; i < n; i++) {
                result[i] = lightgbmlib.doubleArray_getitem(out, i);
            }
            return result;
        } finally {
            lightgbmlib.delete_doubleArray(data);
            lightgbmlib.delete_int64_tp(needed);
            lightgbmlib.delete_int64_tp(written);
            if (out != null) {
                lightgbmlib.delete_doubleArray(out);
            }
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            lightgbmlib.LGBM_BoosterFree(handle);
        }
    }

    /**
     * Loads LightGBM's natives once per JVM, from a private temporary folder. LightGBM4J's own loader
     * (run by the static initialisers of {@code LGBMBooster} and {@code LGBMDataset}) extracts them to
     * fixed names in java.io.tmpdir ({@code /tmp/lib_lightgbm.so}): a second JVM starting on the same
     * host rewrites the file under the first one's mapping and the first one dies (SIGSEGV in native code —
     * seen with the test suite and {@code evaluate-diagnosis} running side by side). So this class uses
     * only the SWIG layer ({@code lightgbmlib}) and never initialises those two classes.
     * {@code LIGHTGBM_NATIVE_LIB_PATH}, when set, names a folder to load the two libraries from instead.
     */
    static synchronized void loadNative() {
        if (nativeLoaded) {
            return;
        }
        String os = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        String platform = os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64")) ? "linux/x86_64"
                : os.startsWith("linux") && (arch.equals("aarch64") || arch.equals("arm64")) ? "linux/aarch64" : null;
        String configured = System.getenv("LIGHTGBM_NATIVE_LIB_PATH");
        try {
            java.nio.file.Path dir;
            if (configured != null) {
                dir = java.nio.file.Path.of(configured);
            } else if (platform != null) {
                dir = java.nio.file.Files.createTempDirectory("hemastream-lightgbm-");
                dir.toFile().deleteOnExit();
            } else {
                throw new IOException("no bundled LightGBM natives for " + os + "/" + arch
                        + "; set LIGHTGBM_NATIVE_LIB_PATH to a folder holding lib_lightgbm and lib_lightgbm_swig");
            }
            for (String lib : new String[]{"lib_lightgbm.so", "lib_lightgbm_swig.so"}) {
                java.nio.file.Path target = dir.resolve(lib);
                if (configured == null) {
                    try (java.io.InputStream in = LightGbmModel.class.getClassLoader()
                            .getResourceAsStream("lightgbm4j/" + platform + "/" + lib)) {
                        if (in == null) {
                            throw new IOException("LightGBM native " + lib + " is not in the lightgbm4j jar");
                        }
                        java.nio.file.Files.copy(in, target);
                    }
                    target.toFile().deleteOnExit();
                }
                System.load(target.toAbsolutePath().toString());
            }
            nativeLoaded = true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load LightGBM's native library", e);
        } catch (UnsatisfiedLinkError e) {
            throw new IllegalStateException("cannot load LightGBM's native library (it needs libgomp.so.1: "
                    + "install libgomp1): " + e.getMessage(), e);
        }
    }

    private static void check(int rc, String what) {
        if (rc != 0) {
            throw new IllegalStateException("LightGBM failed " + what + ": " + lightgbmlib.LGBM_GetLastError());
        }
    }
}
