package org.hemastream.inference.evaluation;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.hemastream.inference.CellClassifier;
import org.hemastream.inference.CellPrediction;
import org.hemastream.inference.ClassifierConfig;
import org.hemastream.inference.DecodedImage;
import org.hemastream.inference.ExecutionProvider;
import org.hemastream.inference.ImageDecoder;
import org.hemastream.inference.ImageRejectedException;
import org.hemastream.inference.InvalidModelMetadataException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code hemastream evaluate-cells}: runs the cell classifier over labelled dataset manifests and prints
 * per-class, per-source, attribute and blast metrics; the last stdout line is machine-readable
 * ({@link EvaluationReport#summaryLine()}). Images are read and decoded on a small pool while the model
 * runs batches on the calling thread.
 */
@Command(name = "evaluate-cells", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Evaluate the cell classifier on labelled manifests: a bundled dataset's, or any lab's "
                + "(file,label,split[,slide_id|patient_id]; label = a cell type, an alias, or non_blast).",
                "Last stdout line: cells=<n> accuracy=<a> macro_f1=<f> blast_recall=<r> blast_specificity=<s>"})
public final class EvaluateCellsCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(EvaluateCellsCommand.class);

    @Spec
    CommandSpec spec;

    @Option(names = "--manifest", required = true, paramLabel = "PATH", showDefaultValue = Help.Visibility.NEVER,
            description = "manifest.csv of a dataset; repeat for several (metrics then also per source)")
    List<Path> manifests = new ArrayList<>();

    @Option(names = "--split", paramLabel = "SPLIT",
            description = "rows to evaluate: ${COMPLETION-CANDIDATES} (all = every row not marked excluded)")
    CellManifest.Split split = CellManifest.Split.test;

    @Option(names = "--model", paramLabel = "PATH", description = "ONNX cell model (default: the model in the jar)")
    Path model;

    @Option(names = "--site-profile", paramLabel = "PATH",
            description = "apply a site profile from calibrate-cells (its blast threshold and slide rule)")
    Path siteProfile;

    @Option(names = "--batch", paramLabel = "N", description = "cells per inference batch")
    int batch = 64;

    @Option(names = "--confusion-png", paramLabel = "PATH", description = "also draw the confusion matrix here")
    Path confusionPng;

    @Option(names = "--decode-threads", paramLabel = "N", description = "threads reading and decoding images")
    int decodeThreads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));

    @Option(names = "--intra-op-threads", paramLabel = "N", description = "ONNX Runtime intra-op threads")
    int intraOpThreads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--execution-provider", paramLabel = "EP", description = "cpu, cuda or auto")
    String executionProvider = "cpu";

    @Option(names = "--max-cells", paramLabel = "N", description = "evaluate at most N cells per manifest (0 = all)")
    int maxCells = 0;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (batch < 1) {
            err.println("evaluate-cells: --batch must be >= 1, was " + batch);
            return 2;
        }
        if (decodeThreads < 1) {
            err.println("evaluate-cells: --decode-threads must be >= 1, was " + decodeThreads);
            return 2;
        }
        ClassifierConfig config;
        List<CellManifest.ManifestCell> cells = new ArrayList<>();
        CellLabelMap labelMap = CellLabelMap.load();
        try {
            config = ClassifierConfig.defaults().withModelPath(model).withSiteProfile(siteProfile)
                    .withExecutionProvider(ExecutionProvider.parse("--execution-provider", executionProvider))
                    .withThreads(intraOpThreads, 1);
            for (Path path : manifests) {
                CellManifest manifest = CellManifest.read(path, labelMap);
                CellManifest.Selection selection = manifest.select(split);
                List<CellManifest.ManifestCell> selected = selection.cells();
                if (maxCells > 0 && selected.size() > maxCells) {
                    selected = selected.subList(0, maxCells);
                }
                int skipped = selection.skippedByLabel().values().stream().mapToInt(Integer::intValue).sum();
                out.printf("manifest %s: dataset %s (source %s), split %s: %d cells to evaluate, %d skipped "
                                + "(label outside the cell types)%s%n", path, manifest.labels().name(),
                        manifest.labels().source(), split, selected.size(), skipped,
                        skipped == 0 ? "" : " " + selection.skippedByLabel());
                cells.addAll(selected);
            }
        } catch (IllegalArgumentException | IOException e) {
            err.println("evaluate-cells: " + e.getMessage());
            return 2;
        }

        CellClassifier opened;
        try {
            opened = CellClassifier.open(config);
        } catch (IOException | ai.onnxruntime.OrtException | IllegalArgumentException | InvalidModelMetadataException e) {
            err.println("evaluate-cells: cannot load the cell model: " + e.getMessage());
            return 2;
        }
        try (CellClassifier classifier = opened) {
            EvaluationReport report = new EvaluationReport(classifier.metadata());
            out.printf("model %s from %s on %s; blast threshold %s%n", classifier.metadata().modelVersion(),
                    classifier.source(), classifier.executionProvider(),
                    classifier.metadata().blastThreshold().isPresent()
                            ? EvaluationReport.format(classifier.metadata().blastThreshold().getAsDouble()) : "none");
            List<CellManifest.ManifestCell> accepted = cells.stream().filter(report::accepts).toList();
            long start = System.nanoTime();
            run(classifier, new ImageDecoder(config.imageLimits()), accepted, report);
            double seconds = (System.nanoTime() - start) / 1e9;
            out.printf("classified %d cells in %.1f s (%.0f cells/s, batch %d, %d decode threads, %d intra-op threads)%n",
                    report.overall().total(), seconds, report.overall().total() / Math.max(seconds, 1e-9), batch,
                    decodeThreads, intraOpThreads);
            report.print(out);
            if (confusionPng != null) {
                ConfusionMatrixPng.write(report.overall(), "cell types, " + classifier.metadata().modelVersion()
                        + ", split " + split, confusionPng);
                out.println();
                out.println("confusion matrix written to " + confusionPng);
            }
            out.println();
            out.println(report.summaryLine());
            out.flush();
            return 0;
        }
    }

    /** Cells of one batch, decoded (or rejected) off the inference thread. */
    private record DecodedBatch(List<CellManifest.ManifestCell> cells, List<DecodedImage> images,
                                List<String> rejections) {
    }

    private void run(CellClassifier classifier, ImageDecoder decoder, List<CellManifest.ManifestCell> cells,
                     EvaluationReport report) throws Exception {
        AtomicInteger threadNumber = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(decodeThreads, r -> {
            Thread t = new Thread(r, "evaluate-decode-" + threadNumber.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            Deque<Future<DecodedBatch>> inFlight = new ArrayDeque<>();
            int lookahead = decodeThreads + 1;
            for (int from = 0; from < cells.size(); from += batch) {
                List<CellManifest.ManifestCell> slice = cells.subList(from, Math.min(cells.size(), from + batch));
                inFlight.add(pool.submit(() -> decode(decoder, slice)));
                if (inFlight.size() > lookahead) {
                    classify(classifier, inFlight.poll(), report);
                }
            }
            while (!inFlight.isEmpty()) {
                classify(classifier, inFlight.poll(), report);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static DecodedBatch decode(ImageDecoder decoder, List<CellManifest.ManifestCell> slice) {
        List<CellManifest.ManifestCell> ok = new ArrayList<>(slice.size());
        List<DecodedImage> images = new ArrayList<>(slice.size());
        List<String> rejections = new ArrayList<>();
        for (CellManifest.ManifestCell cell : slice) {
            try {
                images.add(decoder.decode(Files.readAllBytes(cell.image())));
                ok.add(cell);
            } catch (ImageRejectedException e) {
                log.warn("image {} not classified: {}", cell.image(), e.getMessage());
                rejections.add(e.reason().name());
            } catch (IOException e) {
                log.warn("image {} not readable: {}", cell.image(), e.toString());
                rejections.add("UNREADABLE_FILE");
            }
        }
        return new DecodedBatch(ok, images, rejections);
    }

    private static void classify(CellClassifier classifier, Future<DecodedBatch> pending, EvaluationReport report)
            throws Exception {
        DecodedBatch batch;
        try {
            batch = pending.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
        batch.rejections().forEach(report::reject);
        List<CellPrediction> predictions = classifier.classify(batch.images());
        for (int i = 0; i < predictions.size(); i++) {
            report.add(batch.cells().get(i), predictions.get(i));
        }
    }
}
