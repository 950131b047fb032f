package org.hemastream.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.hemastream.events.CellImage;
import org.hemastream.events.CellResult;
import org.hemastream.events.ErrorCode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The service's path — images decoded by the decode pool straight into the tensor, refused ones taken out
 * of it — gives what PyTorch gave for the parity sample, and the same whatever thread decoded which cell.
 */
class OnnxBatchClassifierTest {

    /** Batch positions that get an image the decoder refuses: first, middle, last. */
    private static final Set<Integer> BAD = Set.of(0, 13, 31);

    private static ParitySample sample;
    private static CellClassifier model;
    private static List<CellImage> batch;
    private static List<Integer> sampleIndex;

    @BeforeAll
    static void load() throws Exception {
        sample = ParitySample.load("parity/parity.json");
        model = CellClassifier.open(ClassifierConfig.defaults());
        batch = new ArrayList<>();
        sampleIndex = new ArrayList<>();
        int next = 0;
        for (int i = 0; i < 32; i++) {
            byte[] bytes;
            if (BAD.contains(i)) {
                bytes = ("not an image " + i).getBytes();
                sampleIndex.add(-1);
            } else {
                bytes = Files.readAllBytes(sample.cells().get(next).image());
                sampleIndex.add(next++);
            }
            batch.add(new CellImage("S-1", "S-1-1", "c" + i, Instant.EPOCH, bytes));
        }
    }

    @AfterAll
    static void close() throws Exception {
        model.close();
    }

    @Test
    void decodedBatchesMatchPythonAndRefusedImagesKeepTheirPlace() throws Exception {
        try (DecodePool pool = new DecodePool(2)) {
            OnnxBatchClassifier classifier = new OnnxBatchClassifier(model, new ImageDecoder(ImageLimits.DEFAULT), pool);

            List<CellOutcome> outcomes = classifier.classify(batch);

            assertThat(outcomes).hasSize(batch.size());
            CellModelMetadata md = model.metadata();
            for (int i = 0; i < outcomes.size(); i++) {
                assertThat(outcomes.get(i).cell()).isSameAs(batch.get(i));
                if (BAD.contains(i)) {
                    assertThat(outcomes.get(i)).isInstanceOfSatisfying(CellOutcome.Refused.class,
                            r -> assertThat(r.code()).isEqualTo(ErrorCode.IMAGE_NOT_AN_IMAGE));
                    continue;
                }
                CellResult result = ((CellOutcome.Classified) outcomes.get(i)).result();
                double[] python = sample.cells().get(sampleIndex.get(i)).outputs().get(md.cellTypeOutput());
                for (int c = 0; c < python.length; c++) {
                    assertThat(result.probabilities().get(md.cellTypes().get(c))).as("cell %d type %d", i, c)
                            .isCloseTo(python[c], within(CellClassifierParityTest.PARITY_TOLERANCE));
                }
                for (CellModelMetadata.AttributeSpec a : md.attributes()) {
                    double best = Arrays.stream(sample.cells().get(sampleIndex.get(i)).outputs().get(a.output())).max()
                            .orElseThrow();
                    assertThat(result.attributes().get(a.name()).probability()).as("cell %d %s", i, a.name())
                            .isCloseTo(best, within(CellClassifierParityTest.PARITY_TOLERANCE));
                }
            }
            assertThat(classifier.decodeCpuNanos()).isPositive();
            assertThat(classifier.inferenceCpuNanos()).isPositive();
        }
    }

    @Test
    void sessionsDecodingAloneOrWithAPoolGetTheSameOutcomes() throws Exception {
        List<CellOutcome> alone;
        try (DecodePool none = new DecodePool(0)) {
            alone = new OnnxBatchClassifier(model, new ImageDecoder(ImageLimits.DEFAULT), none).classify(batch);
        }
        try (DecodePool pool = new DecodePool(4)) {
            OnnxBatchClassifier classifier = new OnnxBatchClassifier(model, new ImageDecoder(ImageLimits.DEFAULT), pool);
            ExecutorService sessions = Executors.newFixedThreadPool(3);
            try {
                List<Future<List<CellOutcome>>> runs = new ArrayList<>();
                for (int s = 0; s < 3; s++) {
                    runs.add(sessions.submit(() -> {
                        classifier.classify(batch); // twice: the second reuses the session's tensor
                        return classifier.classify(batch);
                    }));
                }
                for (Future<List<CellOutcome>> run : runs) {
                    assertSameOutcomes(run.get(), alone);
                }
            } finally {
                sessions.shutdownNow();
            }
        }
    }

    private static void assertSameOutcomes(List<CellOutcome> actual, List<CellOutcome> expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            if (expected.get(i) instanceof CellOutcome.Classified e) {
                CellResult a = ((CellOutcome.Classified) actual.get(i)).result();
                assertThat(a.cellType()).isEqualTo(e.result().cellType());
                e.result().probabilities().forEach((type, p) ->
                        assertThat(a.probabilities().get(type)).isCloseTo(p, within(1e-6)));
            } else {
                assertThat(actual.get(i)).isInstanceOf(CellOutcome.Refused.class);
            }
        }
    }
}
