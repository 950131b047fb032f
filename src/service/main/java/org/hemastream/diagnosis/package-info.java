/**
 * The diagnostic-assist model: scores normal, AML, ALL, malignant lymphoma, MPN and MDS from a specimen's
 * XN CBC and the cell model's differential and morphology, with the features that drove each score.
 *
 * <p>Data flow: {@link org.hemastream.diagnosis.FeatureAssembler} (pure) turns a CBC and classified cells
 * into named features; {@link org.hemastream.diagnosis.DiagnosticModel} holds the LightGBM model and its
 * sidecar; {@link org.hemastream.diagnosis.LightGbmModel} predicts through the C API with correctly sized
 * buffers (LightGBM4J's multiclass bug); {@link org.hemastream.diagnosis.DiagnosticScorer} makes the
 * scores the stream publishes. {@code cohort/} generates the synthetic training and evaluation cohorts
 * from real cell images; {@code training/} holds {@code train-diagnosis} and {@code evaluate-diagnosis}.
 * Nothing here imports the shell (ingest) or Kafka.
 */
package org.hemastream.diagnosis;
