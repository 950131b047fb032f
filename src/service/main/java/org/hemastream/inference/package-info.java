/**
 * Cell-image inference: bytes to pixels ({@link org.hemastream.inference.ImageDecoder}), pixels to the
 * model's input tensor ({@link org.hemastream.inference.CellPreprocessor}) and the tensor to per-cell
 * predictions ({@link org.hemastream.inference.CellClassifier}, ONNX Runtime).
 *
 * <p>The model is self-describing: class names, attributes, input size, normalisation and the blast
 * threshold all come from its ONNX custom metadata ({@link org.hemastream.inference.CellModelMetadata},
 * contract {@code cell-classifier/1}); nothing here hard-codes them. Everything in this package is
 * blocking and belongs on a worker thread, never on a Vert.x event loop.
 */
package org.hemastream.inference;
