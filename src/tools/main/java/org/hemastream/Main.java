package org.hemastream;

import org.hemastream.cli.DemoCommand;
import org.hemastream.cli.LoadTestCommand;
import org.hemastream.cli.RunCommand;
import org.hemastream.review.ReviewCommand;
import org.hemastream.review.export.ExportReviewsCommand;
import org.hemastream.diagnosis.training.EvaluateDiagnosisCommand;
import org.hemastream.diagnosis.training.TrainDiagnosisCommand;
import org.hemastream.faults.PoisonCommand;
import org.hemastream.faults.VerifyOutputsCommand;
import org.hemastream.inference.bench.BenchCellsCommand;
import org.hemastream.kafka.BrokerCommand;
import org.hemastream.sim.BuildDemoPackCommand;
import org.hemastream.sim.SimulateCommand;
import org.hemastream.inference.calibration.CalibrateCellsCommand;
import org.hemastream.inference.evaluation.EvaluateCellsCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The one entry point of the runnable jar: {@code java -jar hemastream.jar <command>}. Each command is a
 * picocli subcommand; {@code --help} on any of them lists its options with their defaults.
 */
@Command(name = "hemastream", mixinStandardHelpOptions = true, version = "hemastream 0.1.0",
        description = "Streaming hematology: cell-image classification, blast alerts and diagnostic scores on Kafka.",
        subcommands = {RunCommand.class, ReviewCommand.class, DemoCommand.class, BrokerCommand.class, SimulateCommand.class, LoadTestCommand.class,
                EvaluateCellsCommand.class, CalibrateCellsCommand.class, BenchCellsCommand.class, BuildDemoPackCommand.class,
                TrainDiagnosisCommand.class, EvaluateDiagnosisCommand.class, VerifyOutputsCommand.class, PoisonCommand.class, ExportReviewsCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
    }

    /** The command line with every subcommand, for {@link #main} and for tests. */
    public static CommandLine commandLine() {
        return new CommandLine(new Main());
    }

    public static void main(String[] args) {
        // Confusion-matrix PNGs are drawn with Java2D on machines without a display.
        System.setProperty("java.awt.headless", "true");
        System.exit(commandLine().execute(args));
    }
}
