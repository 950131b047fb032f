package org.hemastream.inference.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import org.hemastream.inference.CellClassifier;
import org.hemastream.inference.CellPreprocessor;
import org.hemastream.inference.ClassifierConfig;
import org.hemastream.inference.DecodedImage;
import org.hemastream.inference.ExecutionProvider;
import org.hemastream.inference.ImageDecoder;
import org.hemastream.inference.ImageRejectedException;
import org.hemastream.inference.JpegDecoder;
import org.hemastream.inference.evaluation.CellLabelMap;
import org.hemastream.inference.evaluation.CellManifest;
import org.hemastream.observability.CpuClock;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code hemastream bench-cells}: a benchmark, not a test. Measures, on this machine, decode + preprocess
 * time per cell (one thread) and ONNX Runtime throughput of the cell model for every combination of batch
 * size and intra-op threads, with warm-up first and direct input buffers filled once and reused; prints
 * markdown tables. Beside wall time it reports CPU time (the decoding thread's; the whole process's for
 * ONNX Runtime, whose intra-op threads are its own): on a shared machine CPU time per cell is the number
 * that holds, and it is what the service's own CPU per cell is compared with (the compute floor).
 * Numbers are only comparable within one run on one machine.
 */
@Command(name = "bench-cells", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Benchmark cell-image decoding and ONNX Runtime throughput (cells/s); prints markdown.",
                "Run with ORT_DISABLE_TELEMETRY=1 (load-tests/cell-throughput.sh does)."})
public final class BenchCellsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    /** Where the benchmark's images come from: exactly one of a folder or a manifest. */
    static final class ImageSource {
        @Option(names = "--images", paramLabel = "DIR", description = "folder of .jpg/.jpeg/.png cell images (recursive)")
        Path images;

        @Option(names = "--manifest", paramLabel = "PATH", description = "dataset manifest.csv (any split)")
        Path manifest;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    ImageSource source;

    @Option(names = "--cells", paramLabel = "N", description = "distinct images to load")
    int cells = 256;

    @Option(names = "--model", paramLabel = "PATH", description = "ONNX cell model (default: the model in the jar)")
    Path model;

    @Option(names = "--batches", split = ",", paramLabel = "N[,N...]", description = "batch sizes")
    List<Integer> batches = new ArrayList<>(List.of(1, 8, 32, 64, 128));

    @Option(names = "--threads", split = ",", paramLabel = "N[,N...]", description = "intra-op thread counts")
    List<Integer> threads = new ArrayList<>(List.of(1, 2));

    @Option(names = "--seconds", paramLabel = "S", description = "measuring time per configuration")
    double seconds = 3.0;

    @Option(names = "--warmup-seconds", paramLabel = "S", description = "warm-up time per configuration")
    double warmupSeconds = 1.0;

    @Option(names = "--execution-provider", paramLabel = "EP", description = "cpu, cuda or auto")
    String executionProvider = "cpu";

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        List<byte[]> encoded = loadImages();
        if (encoded.isEmpty()) {
            spec.commandLine().getErr().println("bench-cells: no images found");
            return 2;
        }
        ClassifierConfig base = ClassifierConfig.defaults().withModelPath(model)
                .withExecutionProvider(ExecutionProvider.parse("--execution-provider", executionProvider));
        ImageDecoder decoder = new ImageDecoder(base.imageLimits());
        List<DecodedImage> decoded = new ArrayList<>();
        for (byte[] bytes : encoded) {
            try {
                decoded.add(decoder.decode(bytes));
            } catch (ImageRejectedException e) {
                out.println("skipping an image: " + e.getMessage());
            }
        }

        out.printf(Locale.ROOT, "# cell classifier benchmark: %d images, %d cores, Java %s%n%n", decoded.size(),
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        boolean first = true;
        for (int t : threads) {
            try (CellClassifier classifier = CellClassifier.open(base.withThreads(t, 1))) {
                if (first) {
                    benchPreprocessing(out, decoder, classifier.preprocessor(), encoded, decoded);
                    out.printf(Locale.ROOT, "## ONNX Runtime (%s, model %s): inference only, direct buffers filled "
                                    + "once; includes copying outputs into predictions%n%n", classifier.executionProvider(),
                            classifier.metadata().modelVersion());
                    out.println("| intra-op threads | batch | cells/s | ms/batch | CPU ms/cell | batches timed |");
                    out.println("|---:|---:|---:|---:|---:|---:|");
                    first = false;
                }
                for (int b : batches) {
                    FloatBuffer input = classifier.newInputBuffer(b);
                    for (int i = 0; i < b; i++) {
                        classifier.preprocessor().fitAndWrite(decoded.get(i % decoded.size()), input, i);
                    }
                    runFor(classifier, input, b, warmupSeconds, 3);
                    long start = System.nanoTime();
                    long cpu0 = CpuClock.process();
                    long runs = runFor(classifier, input, b, seconds, 5);
                    double cpuMs = (CpuClock.process() - cpu0) / 1e6;
                    double elapsed = (System.nanoTime() - start) / 1e9;
                    out.printf(Locale.ROOT, "| %d | %d | %.0f | %.2f | %.3f | %d |%n", t, b, runs * b / elapsed,
                            elapsed * 1000 / runs, cpuMs / (runs * b), runs);
                    out.flush();
                }
            }
        }
        out.flush();
        return 0;
    }

    /** Runs batches until {@code seconds} have passed and at least {@code minRuns} ran; returns the count. */
    private static long runFor(CellClassifier classifier, FloatBuffer input, int batch, double seconds, int minRuns)
            throws Exception {
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        long runs = 0;
        while (runs < minRuns || System.nanoTime() < deadline) {
            input.clear().limit(batch * classifier.preprocessor().valuesPerImage());
            classifier.classifyTensor(input, batch);
            runs++;
        }
        return runs;
    }

    /**
     * Decode + preprocess per cell with each JPEG decoder this machine has (ImageIO, and libjpeg-turbo where
     * {@code libturbojpeg.so.0} loads), one after the other in this run, so their ratio holds.
     */
    private void benchPreprocessing(PrintWriter out, ImageDecoder decoder, CellPreprocessor preprocessor,
                                    List<byte[]> encoded, List<DecodedImage> decoded) throws ImageRejectedException {
        DecodedImage sample = decoded.get(0);
        out.printf(Locale.ROOT, "## decode + preprocess, one thread (%dx%d images -> %dx%d tensor)%n%n",
                sample.width(), sample.height(), preprocessor.width(), preprocessor.height());
        out.println("JPEG decoder in force by default: " + decoder.describeJpegDecoder());
        out.println();
        out.println("| JPEG decoder | step | µs per cell | CPU µs per cell |");
        out.println("|---|---|---:|---:|");
        List<ImageDecoder> decoders = new ArrayList<>(List.of(new ImageDecoder(decoder.limits(), JpegDecoder.IMAGEIO)));
        if (decoder.jpegDecoder() == JpegDecoder.TURBOJPEG) {
            decoders.add(decoder);
        }
        for (ImageDecoder d : decoders) {
            benchPreprocessing(out, d, preprocessor, encoded);
        }
        out.println();
    }

    private void benchPreprocessing(PrintWriter out, ImageDecoder decoder, CellPreprocessor preprocessor,
                                    List<byte[]> encoded) throws ImageRejectedException {
        String name = decoder.jpegDecoder().toString();
        FloatBuffer scratch = FloatBuffer.allocate(preprocessor.valuesPerImage());
        for (int pass = 0; pass < 2; pass++) { // warm-up pass, then a measured one
            long decodeNanos = 0;
            long prepNanos = 0;
            long decodeCpu = 0;
            long prepCpu = 0;
            long intoNanos = 0;
            long intoCpu = 0;
            int n = 0;
            long until = System.nanoTime() + (long) (Math.max(1.0, seconds / 2) * 1e9);
            while (n < encoded.size() || System.nanoTime() < until) {
                byte[] bytes = encoded.get(n % encoded.size());
                long c0 = CpuClock.thread();
                long t0 = System.nanoTime();
                DecodedImage image = decoder.decode(bytes);
                long t1 = System.nanoTime();
                long c1 = CpuClock.thread();
                preprocessor.fitAndWrite(image, scratch, 0);
                long t2 = System.nanoTime();
                long c2 = CpuClock.thread();
                decodeNanos += t1 - t0;
                prepNanos += t2 - t1;
                decodeCpu += c1 - c0;
                prepCpu += c2 - c1;
                decoder.decodeInto(bytes, preprocessor, scratch, 0); // the service's path: raster -> tensor
                intoNanos += System.nanoTime() - t2;
                intoCpu += CpuClock.thread() - c2;
                n++;
            }
            if (pass == 1) {
                out.printf(Locale.ROOT, "| %s | decode | %.1f | %.1f |%n", name, decodeNanos / 1e3 / n, decodeCpu / 1e3 / n);
                out.printf(Locale.ROOT, "| %s | fit + normalise to NCHW | %.1f | %.1f |%n", name, prepNanos / 1e3 / n,
                        prepCpu / 1e3 / n);
                out.printf(Locale.ROOT, "| %s | total | %.1f | %.1f |%n", name, (decodeNanos + prepNanos) / 1e3 / n,
                        (decodeCpu + prepCpu) / 1e3 / n);
                out.printf(Locale.ROOT, "| %s | decode straight into the tensor (the service's path) | %.1f | %.1f |%n",
                        name, intoNanos / 1e3 / n, intoCpu / 1e3 / n);
                out.flush();
            }
        }
    }

    private List<byte[]> loadImages() throws IOException {
        List<Path> files = new ArrayList<>();
        if (source.images != null) {
            try (Stream<Path> walk = Files.walk(source.images)) {
                walk.filter(Files::isRegularFile)
                        .filter(p -> p.toString().toLowerCase(Locale.ROOT).matches(".*\\.(jpe?g|png)$"))
                        .sorted().limit(cells).forEach(files::add);
            }
        } else {
            CellManifest manifest = CellManifest.read(source.manifest, CellLabelMap.load());
            manifest.select(CellManifest.Split.all).cells().stream().limit(cells)
                    .forEach(c -> files.add(c.image()));
        }
        List<byte[]> out = new ArrayList<>(files.size());
        for (Path f : files) {
            out.add(Files.readAllBytes(f));
        }
        return out;
    }
}
