package org.hemastream.pipeline;

import org.hemastream.events.CellImage;
import org.hemastream.inference.BatchClassifier;
import org.hemastream.inference.CellModelMetadata;
import org.hemastream.inference.CellOutcome;

import java.util.List;

/** The real classifier with something around {@link #classify} (counting, slowing): tests override it. */
abstract class ForwardingClassifier implements BatchClassifier {

    protected final BatchClassifier real;

    ForwardingClassifier(BatchClassifier real) {
        this.real = real;
    }

    @Override
    public List<CellOutcome> classify(List<CellImage> cells) throws Exception {
        return real.classify(cells);
    }

    @Override
    public String modelVersion() {
        return real.modelVersion();
    }

    @Override
    public double blastThreshold() {
        return real.blastThreshold();
    }

    @Override
    public CellModelMetadata metadata() {
        return real.metadata();
    }
}
