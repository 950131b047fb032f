package org.hemastream.inference.calibration;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.hemastream.inference.CellClassifier;
import org.hemastream.inference.CellModelMetadata;
import org.hemastream.inference.CellPrediction;
import org.hemastream.inference.ClassifierConfig;
import org.hemastream.inference.DecodedImage;
import org.hemastream.inference.ImageDecoder;
import org.hemastream.inference.ImageRejectedException;
import org.hemastream.inference.InvalidModelMetadataException;
import org.hemastream.inference.SiteProfile;
import org.hemastream.inference.calibration.BlastCalibration.Counts;
import org.hemastream.inference.calibration.BlastCalibration.ScoredCell;
import org.hemastream.inference.calibration.BlastCalibration.SlideCounts;
import org.hemastream.inference.evaluation.CellLabelMap;
import org.hemastream.inference.evaluation.CellManifest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code hemastream calibrate-cells}: fits the cell model's blast threshold (and, when the lab's cells name
 * slides, its slide alert rule) to a lab's own labelled cells at a target specificity, reports k-fold
 * held-out metrics before (the model's threshold) and after, and writes a {@link SiteProfile} bound to the
 * model's SHA-256 that the service loads beside the model ({@value SiteProfile#KEY}). No training: the model
 * is unchanged. The last stdout line is machine-readable.
 */
@Command(name = "calibrate-cells", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Calibrate the blast threshold (and slide alert rule) on a lab's labelled cells, with k-fold "
                + "held-out metrics, and write a site profile bound to the model's SHA-256.",
                "Manifest: file,label,split[,slide_id|patient_id] (labels as for evaluate-cells; needs blasts).",
                "Last stdout line: cells=<n> blasts=<b> folds=<k> threshold=<t> before_recall=<r> before_specificity=<s> "
                        + "heldout_recall=<r> heldout_specificity=<s>"})
public final class CalibrateCellsCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(CalibrateCellsCommand.class);

    @Spec
    CommandSpec spec;

    @Option(names = "--manifest", required = true, paramLabel = "PATH", showDefaultValue = Help.Visibility.NEVER,
            description = "the lab's manifest.csv")
    Path manifest;

    @Option(names = "--split", paramLabel = "SPLIT",
            description = "rows to use: ${COMPLETION-CANDIDATES} (all = every row not marked excluded)")
    CellManifest.Split split = CellManifest.Split.all;

    @Option(names = "--model", paramLabel = "PATH", description = "ONNX cell model (default: the model in the jar)")
    Path model;

    @Option(names = "--target-specificity", paramLabel = "S", description = "blast specificity to reach on the lab's non-blast cells")
    double targetSpecificity = 0.97;

    @Option(names = "--folds", paramLabel = "K", description = "folds of the held-out validation")
    int folds = 5;

    @Option(names = "--seed", paramLabel = "N", description = "seed of the fold assignment")
    long seed = 1;

    @Option(names = "--out", paramLabel = "PATH", description = "site profile to write")
    Path out = Path.of("site-profile.json");

    @Option(names = "--batch", paramLabel = "N", description = "cells per inference batch")
    int batch = 64;

    @Option(names = "--intra-op-threads", paramLabel = "N", description = "ONNX Runtime intra-op threads")
    int intraOpThreads = Runtime.getRuntime().availableProcessors();

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        BlastCalibration calibration;
        CellManifest m;
        CellManifest.Selection selection;
        try {
            if (batch < 1) {
                throw new IllegalArgumentException("--batch must be >= 1, was " + batch);
            }
            calibration = new BlastCalibration(targetSpecificity, folds, seed);
            m = CellManifest.read(manifest, CellLabelMap.load());
            selection = m.select(split);
            List<ScoredCell> labelsOnly = selection.cells().stream()
                    .map(c -> new ScoredCell(0, c.trueBlast(), c.slide())).toList();
            BlastCalibration.checkEnough(labelsOnly); // refuse before loading the model
        } catch (IllegalArgumentException | IOException e) {
            err.println("calibrate-cells: " + e.getMessage());
            return 2;
        }
        int skipped = selection.skippedByLabel().values().stream().mapToInt(Integer::intValue).sum();
        stdout.printf("manifest %s: labelling %s (source %s), split %s: %d cells, %d skipped (unknown label)%s%n",
                manifest, m.labels().name(), m.labels().source(), split, selection.cells().size(), skipped,
                skipped == 0 ? "" : " " + selection.skippedByLabel());

        CellClassifier opened;
        ClassifierConfig config = ClassifierConfig.defaults().withModelPath(model).withThreads(intraOpThreads, 1);
        try {
            opened = CellClassifier.open(config);
        } catch (IOException | ai.onnxruntime.OrtException | InvalidModelMetadataException e) {
            err.println("calibrate-cells: cannot load the cell model: " + e.getMessage());
            return 2;
        }
        try (CellClassifier classifier = opened) {
            CellModelMetadata md = classifier.metadata();
            if (md.blastThreshold().isEmpty()) {
                err.println("calibrate-cells: the model has no '" + CellModelMetadata.BLAST + "' class with a threshold");
                return 2;
            }
            double modelThreshold = md.blastThreshold().getAsDouble();
            stdout.printf(Locale.ROOT, "model %s from %s (SHA-256 %s); its blast threshold %s, slide rule %s%n",
                    md.modelVersion(), classifier.source(), classifier.modelSha256(), fmt(modelThreshold),
                    md.slideAlertRule());
            Map<String, Integer> rejected = new TreeMap<>();
            List<ScoredCell> scored = score(classifier, new ImageDecoder(config.imageLimits()), selection.cells(), rejected);
            if (!rejected.isEmpty()) {
                stdout.println("images not classified, by reason: " + rejected);
            }
            BlastCalibration.Result r;
            try {
                r = calibration.run(scored, modelThreshold, md.slideAlertRule());
            } catch (IllegalArgumentException e) {
                err.println("calibrate-cells: " + e.getMessage());
                return 2;
            }
            print(stdout, r, scored, modelThreshold);
            JsonObject profile = profile(classifier, m, selection, scored, rejected, r, modelThreshold);
            SiteProfile.fromJson(profile, out.toString()); // what we write must load
            SiteProfile.write(profile, out);
            stdout.println();
            stdout.println("site profile written to " + out + " (load it with --set " + SiteProfile.KEY + "=" + out + ")");
            stdout.println();
            long blasts = scored.stream().filter(ScoredCell::blast).count();
            stdout.printf(Locale.ROOT, "cells=%d blasts=%d folds=%d threshold=%s before_recall=%s before_specificity=%s "
                            + "heldout_recall=%s heldout_specificity=%s%n", scored.size(), blasts, calibration.folds(),
                    fmt(r.finalThreshold()), fmt(r.pooledBefore().sensitivity()), fmt(r.pooledBefore().specificity()),
                    fmt(r.pooledAfter().sensitivity()), fmt(r.pooledAfter().specificity()));
            stdout.flush();
            return 0;
        }
    }

    private List<ScoredCell> score(CellClassifier classifier, ImageDecoder decoder, List<CellManifest.ManifestCell> cells,
                                   Map<String, Integer> rejected) throws Exception {
        List<ScoredCell> out = new ArrayList<>(cells.size());
        for (int from = 0; from < cells.size(); from += batch) {
            List<CellManifest.ManifestCell> slice = cells.subList(from, Math.min(cells.size(), from + batch));
            List<CellManifest.ManifestCell> ok = new ArrayList<>();
            List<DecodedImage> images = new ArrayList<>();
            for (CellManifest.ManifestCell c : slice) {
                try {
                    images.add(decoder.decode(Files.readAllBytes(c.image())));
                    ok.add(c);
                } catch (ImageRejectedException e) {
                    log.warn("image {} not classified: {}", c.image(), e.getMessage());
                    rejected.merge(e.reason().name(), 1, Integer::sum);
                } catch (IOException e) {
                    log.warn("image {} not readable: {}", c.image(), e.toString());
                    rejected.merge("UNREADABLE_FILE", 1, Integer::sum);
                }
            }
            List<CellPrediction> predictions = classifier.classify(images);
            for (int i = 0; i < predictions.size(); i++) {
                out.add(new ScoredCell(predictions.get(i).blastProbability().orElse(0), ok.get(i).trueBlast(),
                        ok.get(i).slide()));
            }
        }
        return out;
    }

    private void print(PrintWriter o, BlastCalibration.Result r, List<ScoredCell> cells, double modelThreshold) {
        o.println();
        o.printf(Locale.ROOT, "## %d-fold validation (%s), target specificity %s: each fold's threshold is fitted on the "
                        + "other folds and measured here%n", folds,
                r.byslide() ? "folds by slide" : "folds by cell, stratified by label", fmt(targetSpecificity));
        o.printf(Locale.ROOT, "%-5s %11s %12s %9s %13s %10s %21s %21s%s%n", "fold", "train_cells", "train_blasts",
                "threshold", "heldout_cells", "heldout_bl", "before recall/spec", "after recall/spec",
                r.byslide() ? "   slide rule (fitted) / slides alerted with blasts, blast-free, before -> after" : "");
        for (BlastCalibration.Fold f : r.folds()) {
            o.printf(Locale.ROOT, "%-5d %11d %12d %9s %13d %10d %21s %21s%s%n", f.index(), f.trainCells(), f.trainBlasts(),
                    fmt(f.threshold()), f.heldOutCells(), f.heldOutBlasts(), pair(f.before()), pair(f.after()),
                    r.byslide() ? "   " + rule(f.rule()) + " / " + slides(f.slidesBefore()) + " -> " + slides(f.slidesAfter()) : "");
        }
        o.printf(Locale.ROOT, "pooled held-out: %d cells, %d blasts; before (threshold %s): recall %s specificity %s "
                        + "(%d of %d non-blasts flagged); after: recall %s specificity %s (%d of %d non-blasts flagged)%n",
                r.pooledAfter().blasts() + r.pooledAfter().nonBlasts(), r.pooledAfter().blasts(), fmt(modelThreshold),
                fmt(r.pooledBefore().sensitivity()), fmt(r.pooledBefore().specificity()), r.pooledBefore().falsePositive(),
                r.pooledBefore().nonBlasts(), fmt(r.pooledAfter().sensitivity()), fmt(r.pooledAfter().specificity()),
                r.pooledAfter().falsePositive(), r.pooledAfter().nonBlasts());
        if (r.byslide()) {
            o.printf(Locale.ROOT, "pooled held-out slides: before %s; after %s%n", slides(r.pooledSlidesBefore()),
                    slides(r.pooledSlidesAfter()));
        }
        o.println();
        o.printf(Locale.ROOT, "final threshold (fitted on all %d cells): %s; on those same cells (a fit, not a validation): "
                        + "recall %s specificity %s%n", cells.size(), fmt(r.finalThreshold()),
                fmt(r.trainingFit().sensitivity()), fmt(r.trainingFit().specificity()));
        o.println("final slide rule: " + (r.finalRule() != null ? rule(r.finalRule())
                : "the model's (" + (r.byslide() ? "no blast-free slide to fit false alerts on" : "the manifest names too few slides")
                + ")"));
    }

    private JsonObject profile(CellClassifier classifier, CellManifest m, CellManifest.Selection selection,
                               List<ScoredCell> scored, Map<String, Integer> rejected, BlastCalibration.Result r,
                               double modelThreshold) {
        CellModelMetadata md = classifier.metadata();
        long blasts = scored.stream().filter(ScoredCell::blast).count();
        long slides = scored.stream().map(ScoredCell::slide).filter(s -> s != null).distinct().count();
        JsonObject p = new JsonObject()
                .put("format", SiteProfile.FORMAT)
                .put("createdAt", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString())
                .put("createdBy", "hemastream calibrate-cells")
                .put("parentModel", new JsonObject().put("version", md.modelVersion())
                        .put("sha256", classifier.modelSha256()).put("source", classifier.source())
                        .put("blastThreshold", modelThreshold)
                        .put("slideAlertRule", new JsonObject().put("minBlastCells", md.slideAlertRule().minBlastCells())
                                .put("minBlastFraction", md.slideAlertRule().minBlastFraction())
                                .put("origin", md.slideAlertRule().origin())))
                .put("siteData", new JsonObject().put("manifest", manifest.toAbsolutePath().normalize().toString())
                        .put("manifestSha256", m.sha256()).put("labelling", m.labels().name())
                        .put("split", split.name()).put("cells", scored.size()).put("blasts", blasts)
                        .put("nonBlasts", scored.size() - blasts).put("slides", slides)
                        .put("skippedByLabel", new JsonObject(new TreeMap<String, Object>(selection.skippedByLabel())))
                        .put("imagesNotClassified", new JsonObject(new TreeMap<String, Object>(rejected))))
                .put("targetSpecificity", targetSpecificity)
                .put("blastThreshold", r.finalThreshold());
        if (r.finalRule() != null) {
            p.put("slideAlertRule", new JsonObject().put("minBlastCells", r.finalRule().minBlastCells())
                    .put("minBlastFraction", r.finalRule().minBlastFraction())
                    .put("chosenOn", "all " + slides + " slides of the site data, at the final threshold"));
        }
        JsonArray foldArray = new JsonArray();
        for (BlastCalibration.Fold f : r.folds()) {
            JsonObject fo = new JsonObject().put("fold", f.index()).put("trainCells", f.trainCells())
                    .put("trainBlasts", f.trainBlasts()).put("heldOutCells", f.heldOutCells())
                    .put("heldOutBlasts", f.heldOutBlasts()).put("threshold", f.threshold())
                    .put("before", counts(f.before())).put("after", counts(f.after()));
            if (r.byslide()) {
                fo.put("slideRule", f.rule() == null ? null : rule(f.rule()))
                        .put("slidesBefore", slideJson(f.slidesBefore())).put("slidesAfter", slideJson(f.slidesAfter()));
            }
            foldArray.add(fo);
        }
        JsonObject validation = new JsonObject().put("method", folds + "-fold cross-validation, "
                        + (r.byslide() ? "folds by slide" : "folds by cell, stratified by label") + ", seed " + seed
                        + "; each fold's threshold fitted on the other folds, measured on the held-out fold")
                .put("before", counts(r.pooledBefore()).put("threshold", modelThreshold))
                .put("after", counts(r.pooledAfter()))
                .put("folds", foldArray);
        if (r.byslide()) {
            validation.put("slidesBefore", slideJson(r.pooledSlidesBefore())).put("slidesAfter", slideJson(r.pooledSlidesAfter()));
        }
        p.put("validation", validation);
        p.put("fitOnAllCells", counts(r.trainingFit()).put("note", "measured on the cells the final threshold was fitted on: not a validation"));
        return p;
    }

    private static JsonObject counts(Counts c) {
        return new JsonObject().put("blasts", c.blasts()).put("nonBlasts", c.nonBlasts())
                .put("truePositive", c.truePositive()).put("falsePositive", c.falsePositive())
                .put("blastRecall", round(c.sensitivity())).put("blastSpecificity", round(c.specificity()));
    }

    private static JsonObject slideJson(SlideCounts s) {
        return new JsonObject().put("slidesWithBlasts", s.withBlasts()).put("alertedWithBlasts", s.withBlastsAlerted())
                .put("blastFreeSlides", s.blastFree()).put("alertedBlastFree", s.blastFreeAlerted());
    }

    private static Double round(double v) {
        return Double.isNaN(v) ? null : Math.round(v * 10000) / 10000.0;
    }

    private static String pair(Counts c) {
        return fmt(c.sensitivity()) + "/" + fmt(c.specificity());
    }

    private static String rule(CellModelMetadata.SlideAlertRule r) {
        return r == null ? "model's" : "minBlastCells=" + r.minBlastCells() + " minBlastFraction=" + r.minBlastFraction();
    }

    private static String slides(SlideCounts s) {
        return s.withBlastsAlerted() + "/" + s.withBlasts() + " with blasts, " + s.blastFreeAlerted() + "/" + s.blastFree()
                + " blast-free";
    }

    static String fmt(double v) {
        return Double.isNaN(v) ? "nan" : String.format(Locale.ROOT, "%.4f", v);
    }
}
