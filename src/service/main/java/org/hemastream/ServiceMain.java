package org.hemastream;

import org.hemastream.cli.RunCommand;
import org.hemastream.review.ReviewCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The entry point of the production jar: {@code java -jar hemastream-service.jar run ...} (the streaming service) and
 * {@code review ...} (the review page alerts link to, one replica). Only what an operator
 * runs in production; the broker, simulator, demo, training and fault tools are in {@code org.hemastream.Main}'s jar
 * ({@code hemastream.jar}), which is built from the tools module and carries this command too.
 */
@Command(name = "hemastream-service", mixinStandardHelpOptions = true, version = "hemastream 0.1.0",
        description = "Streaming hematology service: cell-image classification, blast alerts and diagnostic scores on Kafka.",
        subcommands = {RunCommand.class, ReviewCommand.class, CommandLine.HelpCommand.class})
public final class ServiceMain implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ServiceMain()).execute(args));
    }
}
