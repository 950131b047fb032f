package org.hemastream.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.Collections;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class SimulateCommandTest {

    @Test
    void refusesToStartWithoutBootstrapServers() {
        CommandLine cli = new CommandLine(new SimulateCommand());
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err));
        // An explicit empty value stands in for an unset KAFKA_BOOTSTRAP_SERVERS.
        assertThat(cli.execute("--bootstrap-servers", "")).isEqualTo(2);
        assertThat(err.toString()).contains("--bootstrap-servers");
    }

    @Test
    void helpListsTheOptions() {
        CommandLine cli = new CommandLine(new SimulateCommand());
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out));
        assertThat(cli.execute("--help")).isZero();
        assertThat(out.toString()).contains("--bootstrap-servers", "--datasets", "--rate", "--repeat", "--topic-cbc",
                "--topic-captures", "--cbc-timing", "BEFORE_SMEAR");
    }

    @Test
    void linePerSpecimenShowsGroundTruthBesideTheCbc() {
        Specimen s = DemoPack.load().specimen("DEMO-APL-97").orElseThrow();
        Instant t = Instant.parse("2026-11-26T08:00:00Z");
        String line = SimulateCommand.describe(new SentSpecimen(s.specimenId(), s, 1, t,
                Collections.nCopies(s.cells().size(), t), t));
        assertThat(line).startsWith("sent specimen=DEMO-APL-97 diagnosis=APL cells=83 blasts=1 ")
                .contains("WBC=" + s.cbc().parameters().get("WBC").toPlainString())
                .contains("source=deepapl_cellavision:Patient_97")
                .doesNotContain(" \n");
    }
}
