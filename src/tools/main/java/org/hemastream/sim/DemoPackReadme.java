package org.hemastream.sim;

import java.util.Locale;

/** The {@code README.md} written beside a demo pack's manifest: what the files are, where they come from, their licences. */
final class DemoPackReadme {

    private DemoPackReadme() {
    }

    static String render(DemoPack pack) {
        StringBuilder table = new StringBuilder();
        table.append("| specimen | diagnosis | source | cells | blasts | blast equivalents | CBC flags (synthetic) |\n");
        table.append("|---|---|---|---|---|---|---|\n");
        int cells = 0;
        for (Specimen s : pack.specimens()) {
            cells += s.cells().size();
            table.append(String.format(Locale.ROOT, "| %s | %s | %s %s | %d | %d | %d | %s |%n", s.specimenId(),
                    s.diagnosis(), s.dataset(), s.dataset().equals(DatasetSpecimens.DEEPAPL) ? s.sourceReference() : "test cells",
                    s.cells().size(), s.blastCount(), s.blastEquivalentCount(),
                    s.cbc().flags().isEmpty() ? "—" : String.join(", ", s.cbc().flags())));
        }
        return String.format(Locale.ROOT, """
                # hemastream demo pack

                Generated file — do not edit by hand. Regenerate with
                `java -jar target/hemastream.jar build-demo-pack --datasets ../shared/datasets --out src/tools/main/resources/demo-pack`
                (seed %d; the same data sets and seed give the same files).

                %d simulated specimens, %d cell images (%.1f MB), replayed by `hemastream demo` and
                `hemastream simulate` when no `--datasets` folder is given. `manifest.json` lists every specimen
                with its diagnosis, source, synthetic CBC and its cells in capture order, each with its
                provenance (data set, original file, original label, blast / blast-equivalent ground truth).

                %s
                ## What the images are

                Real single-cell images from CellaVision analysers, 128×128 RGB JPEG, copied **byte for byte**
                from the prepared data sets in `../shared/datasets/` (which centre-cropped and downscaled the
                360×363 originals; see their READMEs).

                * **AML / APL specimens** (`DEMO-AML-*`, `DEMO-APL-*`): every cell of a DeepAPL patient from the
                  held-out **test** split (patient-disjoint from training), all labels — including smudge cells,
                  variant lymphocytes and others outside the classifier's classes, as on a real smear — except
                  the rows the data set marks `excluded` (conflicting duplicate labels, truncated files).
                  Capture order: the data set has no capture times; CellaVision numbers its files as it saves
                  them, so the cells are sorted by the number in the file name (e.g. `BL_17400033`).
                  The labels are the lab's signed CellaVision classification, not a research consensus.
                * **Healthy specimens** (`DEMO-NORMAL-*`): *assembled*, not real smears — PBC **test** cells
                  from healthy donors drawn to a normal adult differential (about 57 %% segmented and a few band
                  neutrophils, ~30 %% lymphocytes, 4–9 %% monocytes, 1–5 %% eosinophils, at most one basophil,
                  1–3 platelets), in random order. PBC publishes no donor IDs: one smear mixes donors.

                ## Sources and licences

                * **PBC** (Acevedo et al., Data in Brief 30 (2020) 105474, doi:10.1016/j.dib.2020.105474;
                  data doi:10.17632/snkd93bnjr.1): **CC BY 4.0**.
                * **DeepAPL** (Sidhom et al., npj Precision Oncology 5, 38 (2021), doi:10.1038/s41698-021-00179-y;
                  data record doi:10.6084/m9.figshare.14294675): **licence not yet confirmed** (expected CC BY 4.0;
                  the GitHub copy's LICENSE grants nothing). These images are here for building and evaluating
                  hemastream; confirm the licence of the figshare record before redistributing them, and remove
                  the `DEMO-AML-*` / `DEMO-APL-*` images if it is neither CC BY nor CC0.

                ## The CBCs are synthetic

                No public data set pairs Sysmex XN-9000 results with these cells. Each CBC is drawn by
                `org.hemastream.sim.CbcSynthesizer`: internally consistent (HCT = RBC × MCV / 10, MCH, MCHC,
                absolute counts = %% × WBC / 100), shaped by the diagnosis (healthy: adult reference intervals;
                AML / APL: anaemia, thrombocytopenia, WBC from leukopenic to very high), its differential following
                the slide's own cells, with XN-style flags whose blast flag is deliberately imperfect. They are
                not any patient's results.
                """, pack.seed(), pack.specimens().size(), cells, pack.imageBytes() / 1e6, table);
    }
}
