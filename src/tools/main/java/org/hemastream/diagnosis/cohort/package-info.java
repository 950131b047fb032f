/**
 * Synthetic patients for training and evaluating the diagnostic model: CBCs drawn from published
 * per-diagnosis statistics ({@link org.hemastream.diagnosis.cohort.CohortProfile},
 * {@link org.hemastream.diagnosis.cohort.CohortCbcSynthesizer}) and smears of <b>real</b> cell images
 * ({@link org.hemastream.diagnosis.cohort.CellPool}: training split for training cohorts, test split for
 * evaluation cohorts), run through the real cell classifier once per distinct image
 * ({@link org.hemastream.diagnosis.cohort.CellResultCache}). No public cohort pairs XN-9000 CBCs with
 * diagnoses: metrics on these cohorts measure the pipeline under the generator's assumptions, not
 * clinical performance.
 */
package org.hemastream.diagnosis.cohort;
