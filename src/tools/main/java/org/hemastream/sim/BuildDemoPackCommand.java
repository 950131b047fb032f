package org.hemastream.sim;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code hemastream build-demo-pack}: regenerates the demo pack committed under
 * {@code src/tools/main/resources/demo-pack/} from the data sets — deterministic, so rerunning it with the same
 * data sets and seed rewrites identical files. With {@code --full} it writes the full sets instead (all
 * DeepAPL test patients and {@code --healthy} smears), e.g. for an offline load test.
 */
@Command(name = "build-demo-pack", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Build the demo pack (manifest.json, README.md, images/) from the data sets.",
                "Regenerate the committed pack: build-demo-pack --datasets ../shared/datasets --out src/tools/main/resources/demo-pack"})
public final class BuildDemoPackCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--datasets", required = true, paramLabel = "DIR",
            description = "folder with deepapl_cellavision/ and pbc_wbcatt/")
    Path datasets;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "where to write the pack")
    Path out;

    @Option(names = "--seed", description = "seeds the synthetic CBCs and the healthy smears")
    long seed = DemoPack.DEFAULT_SEED;

    @Option(names = "--full", description = "all DeepAPL test patients and --healthy smears instead of the compact pack")
    boolean full;

    @Option(names = "--healthy", paramLabel = "N", description = "healthy smears with --full")
    int healthy = 10;

    @Override
    public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        try {
            DemoPack pack = full ? DemoPack.fromDatasets(datasets, healthy, seed) : DemoPack.compactFromDatasets(datasets, seed);
            pack.writeTo(out);
            for (Specimen s : pack.specimens()) {
                stdout.printf(Locale.ROOT, "%s %s cells=%d blasts=%d source=%s:%s%n", s.specimenId(), s.diagnosis(),
                        s.cells().size(), s.blastCount(), s.dataset(), s.sourceReference());
            }
            stdout.printf(Locale.ROOT, "demo pack written to %s: specimens=%d image_bytes=%d%n", out,
                    pack.specimens().size(), pack.imageBytes());
            stdout.flush();
            return 0;
        } catch (IllegalArgumentException | IllegalStateException | UncheckedIOException e) {
            spec.commandLine().getErr().println("build-demo-pack: " + e.getMessage());
            return 1;
        }
    }
}
