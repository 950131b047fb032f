/**
 * The analyzer-line simulator and the demo pack: stands in for a Sysmex XN-9000 and a digital
 * morphology scanner by publishing real cell images (DeepAPL's held-out AML/APL patients, healthy
 * smears assembled from PBC's test cells) with synthetic but internally consistent CBCs to
 * {@code lab.cbc.results} and {@code lab.cell.captures}.
 *
 * <p>Data flow: {@link org.hemastream.sim.DemoPack} (the compact pack in the jar, or the full sets built
 * by {@link org.hemastream.sim.DatasetSpecimens} from {@code ../shared/datasets}) yields
 * {@link org.hemastream.sim.Specimen}s; {@link org.hemastream.sim.LineSchedule} interleaves their events
 * deterministically; {@link org.hemastream.sim.AnalyzerLineSimulator} encodes them
 * ({@link org.hemastream.sim.AnalyzerMessages}) and sends them with a plain kafka-clients producer. No
 * Vert.x here: the simulator is a client of the service, not part of it.
 */
package org.hemastream.sim;
