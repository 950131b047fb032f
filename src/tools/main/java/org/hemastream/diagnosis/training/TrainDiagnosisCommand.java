package org.hemastream.diagnosis.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.hemastream.diagnosis.CellVocabulary;
import org.hemastream.diagnosis.FeatureAssembler;
import org.hemastream.diagnosis.cohort.CohortGenerator;
import org.hemastream.inference.OnnxBatchClassifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code hemastream train-diagnosis}: trains the diagnostic model on a synthetic cohort built from the
 * training split's real cell images (run through the real cell classifier), or on a site's own labelled
 * export ({@code --from-csv}, format in {@link FeatureTable}), and writes {@code diagnostic-model.txt} and
 * {@code diagnostic-model.json} into {@code --out}.
 */
@Command(name = "train-diagnosis", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Trains the diagnostic-assist LightGBM model (CBC + morphology features).",
                "Without --from-csv: on a SYNTHETIC cohort whose cells are real training-split images run through "
                        + "the cell classifier. With --from-csv: on a site's own labelled specimens."})
public final class TrainDiagnosisCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--cohort-size", paramLabel = "N", description = "synthetic patients (equal per diagnosis)")
    int cohortSize = 3000;

    @Option(names = "--seed", paramLabel = "S", description = "seeds the cohort and LightGBM")
    long seed = 1;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "where to write the model files")
    Path out;

    @Option(names = "--from-csv", paramLabel = "FILE", description = "train on this labelled export instead of a cohort")
    Path fromCsv;

    @Option(names = "--datasets", paramLabel = "DIR", description = "folder holding pbc_wbcatt/ and deepapl_cellavision/")
    Path datasets = Path.of("../shared/datasets");

    @Option(names = "--cell-model", paramLabel = "PATH", description = "ONNX cell model (default: the jar's)")
    Path cellModel;

    @Option(names = "--iterations", paramLabel = "N", description = "boosting rounds")
    int iterations = DiagnosisTrainer.DEFAULT_ITERATIONS;

    @Option(names = "--images-per-type", paramLabel = "N", description = "cap on images per data set and cell type (0 = all)")
    int imagesPerType;

    @Option(names = "--model-version", paramLabel = "V", description = "version written to the sidecar")
    String modelVersion = "diagnosis-lgbm-1.1.0";

    @Option(names = "--write-csv", paramLabel = "FILE", description = "also export the cohort's features in the --from-csv format")
    Path writeCsv;

    @Option(names = "--threads", paramLabel = "N", description = "cell classification threads")
    int threads = 2;

    @Override
    public Integer call() throws Exception {
        PrintWriter console = spec.commandLine().getOut();
        try {
            return run(console);
        } catch (IllegalArgumentException | IOException e) {
            spec.commandLine().getErr().println("train-diagnosis: " + e.getMessage());
            return 2;
        }
    }

    private int run(PrintWriter o) throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode training = mapper.createObjectNode();
        FeatureTable table;
        if (fromCsv != null) {
            table = FeatureTable.readCsv(fromCsv, CohortTable.referenceClasses());
            training.put("data", "site export " + fromCsv.getFileName());
            training.put("command", "hemastream train-diagnosis --from-csv " + fromCsv.getFileName() + " --seed " + seed
                    + " --out " + out);
        } else {
            try (OnnxBatchClassifier classifier = CohortTable.openClassifier(cellModel)) {
                FeatureAssembler assembler = new FeatureAssembler(CellVocabulary.of(classifier.metadata()));
                CohortTable cohort = CohortTable.build(datasets, "train", cohortSize, seed, imagesPerType, classifier,
                        assembler, CohortTable.referenceFeatures(assembler), threads);
                table = cohort.table();
                training.put("data", "SYNTHETIC cohort: CBCs drawn from published per-diagnosis statistics, smears of "
                        + "real training-split images (PBC/WBCAtt + DeepAPL) classified by the cell model");
                training.put("cohortSplit", "train");
                training.put("cohortSeed", seed);
                training.put("specimensWithSmear", cohort.withSmear());
                training.put("cbcOnlyShare", CohortGenerator.CBC_ONLY_SHARE);
                training.put("cellModel", classifier.modelVersion());
                training.put("imagesPerType", imagesPerType);
                training.put("command", "hemastream train-diagnosis --cohort-size " + cohortSize + " --seed " + seed
                        + " --out " + out + (imagesPerType > 0 ? " --images-per-type " + imagesPerType : ""));
            }
        }
        if (writeCsv != null) {
            table.writeCsv(writeCsv);
        }
        DiagnosisTrainer.Trained trained = new DiagnosisTrainer().train(table, seed, iterations, modelVersion, training);
        trained.write(out);
        o.printf("trained %s on %d specimens x %d features (%s) -> %s%n", modelVersion, table.rows(),
                table.features().size(), String.join(",", table.classes()), out.toAbsolutePath());
        return 0;
    }
}
