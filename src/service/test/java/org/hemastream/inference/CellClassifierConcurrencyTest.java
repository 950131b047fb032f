package org.hemastream.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

class CellClassifierConcurrencyTest {

    private static final int THREADS = 4;
    private static final int BATCH = 16;

    @Test
    void fourThreadsClassifyingAtOnceGetTheSequentialResults() throws Exception {
        List<DecodedImage> images = ParitySample.load("parity/parity.json").decodeAll().subList(0, 48);
        try (CellClassifier classifier = CellClassifier.open(ClassifierConfig.defaults())) {
            List<CellPrediction> sequential = classifyInBatches(classifier, images);

            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                List<Future<List<CellPrediction>>> results = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    Callable<List<CellPrediction>> task = () -> {
                        classifyInBatches(classifier, images); // twice: the second call reuses the thread's buffer
                        return classifyInBatches(classifier, images);
                    };
                    results.add(pool.submit(task));
                }
                for (Future<List<CellPrediction>> result : results) {
                    assertSame(result.get(), sequential);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    private static List<CellPrediction> classifyInBatches(CellClassifier classifier, List<DecodedImage> images)
            throws Exception {
        List<CellPrediction> out = new ArrayList<>();
        for (int from = 0; from < images.size(); from += BATCH) {
            out.addAll(classifier.classify(images.subList(from, Math.min(images.size(), from + BATCH))));
        }
        return out;
    }

    private static void assertSame(List<CellPrediction> actual, List<CellPrediction> expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            assertThat(actual.get(i).topType()).isEqualTo(expected.get(i).topType());
            for (var e : expected.get(i).typeProbabilities().entrySet()) {
                assertThat(actual.get(i).probabilityOf(e.getKey())).isCloseTo(e.getValue(), within(1e-6));
            }
            for (var e : expected.get(i).attributes().entrySet()) {
                assertThat(actual.get(i).attributes().get(e.getKey()).probability())
                        .isCloseTo(e.getValue().probability(), within(1e-6));
            }
        }
    }
}
