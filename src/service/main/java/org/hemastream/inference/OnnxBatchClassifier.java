package org.hemastream.inference;

import org.hemastream.events.CellImage;
import org.hemastream.events.CellResult;
import org.hemastream.events.ErrorCode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The production {@link BatchClassifier}: decodes each image with the {@link ImageDecoder} (refusing
 * bad ones with a typed reason), runs the decodable ones through the {@link CellClassifier} as one
 * batch, and turns predictions into {@link CellResult}s. Thread-safe.
 */
public final class OnnxBatchClassifier implements BatchClassifier, AutoCloseable {

    private final CellClassifier classifier;
    private final ImageDecoder decoder;
    private final double blastThreshold;

    public OnnxBatchClassifier(CellClassifier classifier, ImageDecoder decoder) {
        this.classifier = classifier;
        this.decoder = decoder;
        this.blastThreshold = classifier.metadata().blastThreshold()
                .orElseThrow(() -> new IllegalArgumentException("the cell model declares no blast threshold "
                        + "(metadata hemastream.thresholds.blast): blast alerts need one"));
    }

    @Override
    public List<CellOutcome> classify(List<CellImage> cells) throws Exception {
        CellOutcome[] out = new CellOutcome[cells.size()];
        List<DecodedImage> images = new ArrayList<>(cells.size());
        List<Integer> positions = new ArrayList<>(cells.size());
        for (int i = 0; i < cells.size(); i++) {
            try {
                images.add(decoder.decode(cells.get(i).image()));
                positions.add(i);
            } catch (ImageRejectedException e) {
                out[i] = new CellOutcome.Refused(cells.get(i), code(e.reason()), e.getMessage());
            }
        }
        if (!images.isEmpty()) {
            List<CellPrediction> predictions = classifier.classify(images);
            for (int j = 0; j < predictions.size(); j++) {
                CellImage cell = cells.get(positions.get(j));
                out[positions.get(j)] = new CellOutcome.Classified(cell, toResult(cell, predictions.get(j)));
            }
        }
        return List.of(out);
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
