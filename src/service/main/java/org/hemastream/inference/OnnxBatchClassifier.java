package org.hemastream.inference;

import org.hemastream.events.CellImage;
import org.hemastream.events.CellResult;
import org.hemastream.events.ErrorCode;

import org.hemastream.observability.CpuClock;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The production {@link BatchClassifier}: decodes each image with the {@link ImageDecoder} (refusing
 * bad ones with a typed reason) straight into the calling thread's reused input tensor, on the
 * {@link DecodePool} and the calling thread together, runs the decodable ones through the
 * {@link CellClassifier} as one batch, and turns predictions into {@link CellResult}s. Thread-safe.
 */
public final class OnnxBatchClassifier implements BatchClassifier, AutoCloseable {

    private final CellClassifier classifier;
    private final ImageDecoder decoder;
    private final DecodePool decodePool;
    private final double blastThreshold;
    private final AtomicLong inferenceCpuNanos = new AtomicLong();

    /** With a decode pool of one thread per core, closed with this classifier. */
    public OnnxBatchClassifier(CellClassifier classifier, ImageDecoder decoder) {
        this(classifier, decoder, DecodePool.perCore());
    }

    /** @param decodePool decodes batches beside the calling thread; closed with this classifier */
    public OnnxBatchClassifier(CellClassifier classifier, ImageDecoder decoder, DecodePool decodePool) {
        this.classifier = classifier;
        this.decoder = decoder;
        this.decodePool = decodePool;
        this.blastThreshold = classifier.metadata().blastThreshold()
                .orElseThrow(() -> new IllegalArgumentException("the cell model declares no blast threshold "
                        + "(metadata hemastream.thresholds.blast): blast alerts need one"));
    }

    @Override
    public List<CellOutcome> classify(List<CellImage> cells) throws Exception {
        if (cells.isEmpty()) {
            return List.of();
        }
        CellPreprocessor preprocessor = classifier.preprocessor();
        int per = preprocessor.valuesPerImage();
        FloatBuffer tensor = classifier.inputBuffer(cells.size());
        List<byte[]> images = new ArrayList<>(cells.size());
        cells.forEach(c -> images.add(c.image()));
        ImageRejectedException[] refused = decodePool.decode(images, decoder, preprocessor, tensor);
        CellOutcome[] out = new CellOutcome[cells.size()];
        int[] positions = new int[cells.size()];
        int decoded = 0;
        for (int i = 0; i < cells.size(); i++) {
            if (refused[i] != null) {
                out[i] = new CellOutcome.Refused(cells.get(i), code(refused[i].reason()), refused[i].getMessage());
                continue;
            }
            if (decoded != i) { // close the gap a refused image left: the model takes the first `decoded` slots
                tensor.put(decoded * per, tensor, i * per, per);
            }
            positions[decoded++] = i;
        }
        if (decoded > 0) {
            tensor.position(0).limit(decoded * per);
            long cpu0 = CpuClock.thread();
            List<CellPrediction> predictions = classifier.classifyTensor(tensor, decoded);
            inferenceCpuNanos.addAndGet(CpuClock.thread() - cpu0);
            for (int j = 0; j < decoded; j++) {
                CellImage cell = cells.get(positions[j]);
                out[positions[j]] = new CellOutcome.Classified(cell, toResult(cell, predictions.get(j)));
            }
        }
        return List.of(out);
    }

    /** {@inheritDoc} Every decoding thread's: the pool's and the calling threads'. */
    @Override
    public long decodeCpuNanos() {
        return decodePool.cpuNanos();
    }

    /**
     * {@inheritDoc} The calling threads' CPU time inside ONNX Runtime (and reading its outputs): all of it with
     * one intra-op thread (the default); ONNX Runtime's own intra-op threads are not counted.
     */
    @Override
    public long inferenceCpuNanos() {
        return inferenceCpuNanos.get();
    }

    private CellResult toResult(CellImage cell, CellPrediction p) {
        Map<String, CellResult.AttributeCall> attributes = new LinkedHashMap<>();
        for (AttributePrediction a : p.attributes().values()) {
            attributes.put(a.name(), new CellResult.AttributeCall(a.value(), a.probability()));
        }
        double pBlast = p.typeProbabilities().getOrDefault("blast", 0.0);
        return new CellResult(cell.specimenId(), cell.slideId(), cell.cellId(), cell.capturedAt(), modelVersion(),
                p.topType(), p.topProbability(), p.typeProbabilities(), attributes, pBlast >= blastThreshold);
    }

    private static ErrorCode code(ImageRejectedException.Reason reason) {
        return switch (reason) {
            case EMPTY -> ErrorCode.IMAGE_EMPTY;
            case TOO_MANY_BYTES -> ErrorCode.IMAGE_TOO_LARGE;
            case NOT_AN_IMAGE -> ErrorCode.IMAGE_NOT_AN_IMAGE;
            case TOO_MANY_PIXELS -> ErrorCode.IMAGE_TOO_MANY_PIXELS;
            default -> ErrorCode.IMAGE_CORRUPT;
        };
    }

    /** Closes the ONNX Runtime session. */
    @Override
    public void close() throws Exception {
        decodePool.close();
        classifier.close();
    }

    @Override
    public String modelVersion() {
        return classifier.metadata().modelVersion();
    }

    @Override
    public double blastThreshold() {
        return blastThreshold;
    }

    @Override
    public CellModelMetadata metadata() {
        return classifier.metadata();
    }
}
