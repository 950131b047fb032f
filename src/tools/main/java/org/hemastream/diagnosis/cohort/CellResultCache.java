package org.hemastream.diagnosis.cohort;

import org.hemastream.events.CellImage;
import org.hemastream.events.CellResult;
import org.hemastream.inference.BatchClassifier;
import org.hemastream.inference.CellOutcome;
import org.hemastream.inference.evaluation.CellManifest.ManifestCell;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs cohort cell images through the real cell classifier — the same {@link BatchClassifier} (decode,
 * preprocess, ONNX) the streaming service uses — <b>once per distinct image</b>, and hands out each
 * image's {@link CellResult} for every smear it is drawn into. The same model gives the same output for
 * the same image, so this changes no feature; it is what makes a cohort of thousands of smears
 * affordable on two cores. Thread-safe.
 */
public final class CellResultCache {

    private static final Logger log = LoggerFactory.getLogger(CellResultCache.class);

    private final BatchClassifier classifier;
    private final int threads;
    private final int batchSize;
    private final Map<String, CellResult> byImage = new ConcurrentHashMap<>();
    private final Set<String> refused = ConcurrentHashMap.newKeySet();

    /**
     * @param threads   batches classified in parallel
     * @param batchSize images per batch
     */
    public CellResultCache(BatchClassifier classifier, int threads, int batchSize) {
        this.classifier = classifier;
        this.threads = threads;
        this.batchSize = batchSize;
    }

    /** Classifies every image of these specimens not classified yet. Blocking. */
    public void classify(Collection<CohortSpecimen> specimens) throws Exception {
        Set<ManifestCell> todo = new LinkedHashSet<>();
        for (CohortSpecimen s : specimens) {
            for (ManifestCell c : s.smear()) {
                if (!byImage.containsKey(key(c)) && !refused.contains(key(c))) {
                    todo.add(c);
                }
            }
        }
        if (todo.isEmpty()) {
            return;
        }
        long t0 = System.nanoTime();
        List<ManifestCell> all = new ArrayList<>(todo);
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "cohort-classifier");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> jobs = new ArrayList<>();
            for (int from = 0; from < all.size(); from += batchSize) {
                List<ManifestCell> batch = all.subList(from, Math.min(all.size(), from + batchSize));
                jobs.add(pool.submit(() -> {
                    classifyBatch(batch);
                    return null;
                }));
            }
            for (Future<?> job : jobs) {
                job.get();
            }
        } finally {
            pool.shutdownNow();
        }
        log.info("classified {} distinct cohort images in {} s ({} refused)", all.size(),
                (System.nanoTime() - t0) / 1_000_000_000L, refused.size());
    }

    private void classifyBatch(List<ManifestCell> batch) throws Exception {
        List<CellImage> images = new ArrayList<>(batch.size());
        for (ManifestCell c : batch) {
            images.add(new CellImage("cohort", "cohort", key(c), Instant.EPOCH, read(c)));
        }
        List<CellOutcome> outcomes = classifier.classify(images);
        for (int i = 0; i < batch.size(); i++) {
            if (outcomes.get(i) instanceof CellOutcome.Classified ok) {
                byImage.put(key(batch.get(i)), ok.result());
            } else {
                refused.add(key(batch.get(i)));
                log.warn("cohort image {} refused by the classifier: {}", key(batch.get(i)), outcomes.get(i));
            }
        }
    }

    /**
     * The classified cells of a specimen's smear, in scanning order, as the stream would hold them
     * (specimen, slide and cell IDs of the specimen; capture times after its CBC). Refused images are
     * missing, as lost cells are in the stream.
     */
    public List<CellResult> cells(CohortSpecimen s) {
        List<CellResult> out = new ArrayList<>(s.smear().size());
        for (int i = 0; i < s.smear().size(); i++) {
            CellResult r = byImage.get(key(s.smear().get(i)));
            if (r == null) {
                if (!refused.contains(key(s.smear().get(i)))) {
                    throw new IllegalStateException("image " + key(s.smear().get(i)) + " was never classified");
                }
                continue;
            }
            out.add(new CellResult(s.specimenId(), s.slideId(), CohortSpecimen.cellId(i),
                    s.cbc().measuredAt().plusSeconds(60 + i), r.modelVersion(), r.cellType(), r.probability(),
                    r.probabilities(), r.attributes(), r.blast()));
        }
        return out;
    }

    /** Distinct images classified so far. */
    public int size() {
        return byImage.size();
    }

    /** The image file's bytes, as a scanner would send them. */
    public static byte[] read(ManifestCell c) {
        try {
            return Files.readAllBytes(c.image());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read cohort image " + c.image(), e);
        }
    }

    private static String key(ManifestCell c) {
        return c.image().toString();
    }
}
