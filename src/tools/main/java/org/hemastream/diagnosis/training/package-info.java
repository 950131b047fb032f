/**
 * {@code hemastream train-diagnosis} and {@code hemastream evaluate-diagnosis}: feature tables from a
 * synthetic cohort or a site's CSV export ({@link org.hemastream.diagnosis.training.FeatureTable}),
 * deterministic LightGBM training ({@link org.hemastream.diagnosis.training.DiagnosisTrainer}) and
 * one-vs-rest AUCs with bootstrap intervals, Brier score, confusion matrix and ROC curves
 * ({@link org.hemastream.diagnosis.training.DiagnosisMetrics}).
 */
package org.hemastream.diagnosis.training;
