package org.hemastream.diagnosis.training;

import org.hemastream.diagnosis.DiagnosisClass;
import org.hemastream.diagnosis.FeatureAssembler;
import org.hemastream.diagnosis.cohort.CellPool;
import org.hemastream.diagnosis.cohort.CellResultCache;
import org.hemastream.diagnosis.cohort.CohortCbcSynthesizer;
import org.hemastream.diagnosis.cohort.CohortGenerator;
import org.hemastream.diagnosis.cohort.CohortSpecimen;
import org.hemastream.events.CellResult;
import org.hemastream.inference.BatchClassifier;
import org.hemastream.inference.CellClassifier;
import org.hemastream.inference.ClassifierConfig;
import org.hemastream.inference.ImageDecoder;
import org.hemastream.inference.OnnxBatchClassifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A synthetic cohort turned into a {@link FeatureTable}: generate the patients, run every distinct smear
 * image through the real cell classifier once ({@link CellResultCache}), assemble each specimen's
 * features with the service's {@link FeatureAssembler}.
 *
 * @param cells classified cells per specimen ID (empty list for CBC-only specimens)
 */
public record CohortTable(List<CohortSpecimen> specimens, Map<String, List<CellResult>> cells, FeatureTable table,
                          CellPool pool) {

    private static final Logger log = LoggerFactory.getLogger(CohortTable.class);

    /** The reference model's features: every cohort CBC code, every cohort flag, every morphology feature. */
    public static List<String> referenceFeatures(FeatureAssembler assembler) {
        List<String> f = new ArrayList<>(CohortCbcSynthesizer.CODES);
        CohortCbcSynthesizer.FLAGS.forEach(flag -> f.add(FeatureAssembler.FLAG + flag));
        f.addAll(assembler.morphologyFeatures());
        return f;
    }

    /** The classes of the reference model, in label order. */
    public static List<String> referenceClasses() {
        return Arrays.stream(DiagnosisClass.values()).map(DiagnosisClass::wireName).toList();
    }

    /**
     * Builds a cohort and its features.
     *
     * @param split      {@code train} (training cohorts) or {@code test} (evaluation cohorts)
     * @param maxPerType cap on images per source and type (0 = all), to keep tests small
     * @param threads    classification threads
     */
    public static CohortTable build(Path datasets, String split, int size, long seed, int maxPerType,
                                    BatchClassifier classifier, FeatureAssembler assembler, List<String> features,
                                    int threads) throws Exception {
        CellPool pool = CellPool.read(datasets, split, maxPerType, seed);
        List<CohortSpecimen> specimens = new CohortGenerator(pool, seed).generate(size);
        CellResultCache cache = new CellResultCache(classifier, threads, 32);
        cache.classify(specimens);
        List<String> classes = referenceClasses();
        Map<String, List<CellResult>> cells = new LinkedHashMap<>();
        List<String> ids = new ArrayList<>();
        int[] labels = new int[specimens.size()];
        double[] values = new double[specimens.size() * features.size()];
        for (int i = 0; i < specimens.size(); i++) {
            CohortSpecimen s = specimens.get(i);
            List<CellResult> smear = cache.cells(s);
            cells.put(s.specimenId(), smear);
            ids.add(s.specimenId());
            labels[i] = classes.indexOf(s.diagnosis().wireName());
            double[] x = assembler.vector(features, s.cbc(), smear);
            System.arraycopy(x, 0, values, i * features.size(), x.length);
        }
        log.info("cohort of {} specimens from the {} split (seed {}): {} distinct images classified", size, split,
                seed, cache.size());
        return new CohortTable(specimens, cells, new FeatureTable(features, classes, ids, labels, values), pool);
    }

    /** Opens the cell classifier the way the service does (the jar's model when {@code onnx} is null). */
    public static OnnxBatchClassifier openClassifier(Path onnx) throws Exception {
        ClassifierConfig cc = ClassifierConfig.defaults().withModelPath(onnx);
        return new OnnxBatchClassifier(CellClassifier.open(cc), new ImageDecoder(cc.imageLimits()));
    }

    /** Specimens with a smear. */
    public long withSmear() {
        return specimens.stream().filter(s -> !s.smear().isEmpty()).count();
    }
}
