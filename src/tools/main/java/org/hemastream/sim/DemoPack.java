package org.hemastream.sim;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A set of simulated specimens with real cell images: either the compact <b>demo pack</b> shipped in
 * the jar under {@code demo-pack/} (so {@code demo} works on a fresh clone, without the data sets), or
 * the full sets built from the data sets (every DeepAPL test patient plus N healthy smears).
 *
 * <p>The committed pack is {@link #PACK_PATIENTS} (AML and APL, many and few blasts, one slide with a
 * single true blast, one APL slide whose leukaemic cells are promyelocytes rather than blasts) plus
 * {@link #PACK_HEALTHY} healthy smears; {@link #writeTo} with {@link #compactFromDatasets} regenerates it
 * byte for byte ({@code hemastream build-demo-pack}). The images are the original data set files;
 * the CBCs are synthetic ({@link CbcSynthesizer}). Immutable once loaded.
 */
public final class DemoPack {

    /** Classpath folder of the committed pack. */
    public static final String RESOURCE_ROOT = "demo-pack";
    /** The DeepAPL test patients in the committed pack, in send order. */
    public static final List<String> PACK_PATIENTS =
            List.of("Patient_92", "Patient_02", "Patient_39", "Patient_69", "Patient_97");
    /** Healthy smears in the committed pack. */
    public static final int PACK_HEALTHY = 3;
    /** The seed the committed pack was built with. */
    public static final long DEFAULT_SEED = 42L;

    static final String MANIFEST = "manifest.json";
    private static final String FORMAT = "hemastream-demo-pack";
    private static final int FORMAT_VERSION = 1;
    private static final Logger log = LoggerFactory.getLogger(DemoPack.class);

    private final long seed;
    private final List<Specimen> specimens;

    private DemoPack(long seed, List<Specimen> specimens) {
        this.seed = seed;
        this.specimens = List.copyOf(specimens);
        Set<String> ids = new HashSet<>();
        for (Specimen s : this.specimens) {
            if (!ids.add(s.specimenId())) {
                throw new IllegalArgumentException("specimen " + s.specimenId() + " appears twice in the pack");
            }
        }
    }

    /** The committed pack, from the classpath ({@code demo-pack/manifest.json} and its images). */
    public static DemoPack load() {
        ClassLoader loader = DemoPack.class.getClassLoader();
        return parse(relative -> {
            String resource = RESOURCE_ROOT + "/" + relative;
            try (InputStream in = loader.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException("demo pack resource " + resource + " is not on the classpath");
                }
                return in.readAllBytes();
            }
        });
    }

    /** A pack written by {@link #writeTo} to a folder. */
    public static DemoPack read(Path dir) {
        return parse(relative -> Files.readAllBytes(dir.resolve(relative)));
    }

    /**
     * The full sets: every DeepAPL test patient (AML, APL and the clinical case), then
     * {@code healthyCount} healthy smears from PBC test cells.
     *
     * @param datasetsDir the folder holding {@code deepapl_cellavision/} and {@code pbc_wbcatt/}
     */
    public static DemoPack fromDatasets(Path datasetsDir, int healthyCount, long seed) {
        DatasetSpecimens source = new DatasetSpecimens(datasetsDir, seed);
        List<Specimen> all = new ArrayList<>(source.deepAplTestPatients());
        all.addAll(source.healthy(healthyCount));
        return new DemoPack(seed, all);
    }

    /** What the committed pack holds, built from the data sets: {@link #PACK_PATIENTS} and {@link #PACK_HEALTHY} healthy smears. */
    public static DemoPack compactFromDatasets(Path datasetsDir, long seed) {
        DatasetSpecimens source = new DatasetSpecimens(datasetsDir, seed);
        List<Specimen> all = new ArrayList<>(source.deepAplTestPatients(PACK_PATIENTS));
        all.addAll(source.healthy(PACK_HEALTHY));
        return new DemoPack(seed, all);
    }

    /** The specimens, in the order a simulation sends them. */
    public List<Specimen> specimens() {
        return specimens;
    }

    /** The seed the CBCs and healthy differentials were drawn with. */
    public long seed() {
        return seed;
    }

    /** The specimen with this ID, if the pack has it. */
    public Optional<Specimen> specimen(String specimenId) {
        return specimens.stream().filter(s -> s.specimenId().equals(specimenId)).findFirst();
    }

    /** Total bytes of the distinct image files (what {@link #writeTo} stores). */
    public long imageBytes() {
        Map<String, Integer> sizes = new LinkedHashMap<>();
        for (Specimen s : specimens) {
            for (SpecimenCell c : s.cells()) {
                sizes.put(imagePath(s, c), c.jpeg().length);
            }
        }
        return sizes.values().stream().mapToLong(Integer::longValue).sum();
    }

    /**
     * Writes the pack to {@code dir}: {@code manifest.json}, {@code README.md} and
     * {@code images/<specimenId>/<original name>.jpg}, each image byte for byte as in its data set.
     * Deterministic: the same pack writes the same files. Existing files of the same names are replaced;
     * other files in {@code dir} are left alone.
     */
    public void writeTo(Path dir) {
        try {
            Files.createDirectories(dir);
            ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            AnalyzerMessages messages = new AnalyzerMessages();
            ObjectNode root = mapper.createObjectNode().put("format", FORMAT).put("formatVersion", FORMAT_VERSION)
                    .put("seed", seed)
                    .put("note", "Cell images are real, byte for byte from their data sets (see README.md for "
                            + "sources and licences); the CBCs are synthetic.");
            ArrayNode list = root.putArray("specimens");
            for (Specimen s : specimens) {
                ObjectNode sn = list.addObject().put("specimenId", s.specimenId()).put("diagnosis", s.diagnosis().name())
                        .put("dataset", s.dataset()).put("sourceReference", s.sourceReference())
                        .put("cellCount", s.cells().size()).put("blastCells", s.blastCount())
                        .put("blastEquivalentCells", s.blastEquivalentCount());
                ObjectNode cbc = sn.putObject("cbc");
                cbc.put("synthetic", true);
                cbc.set("parameters", messages.parameters(s.cbc()));
                ArrayNode flags = cbc.putArray("flags");
                s.cbc().flags().forEach(flags::add);
                ArrayNode cells = sn.putArray("cells");
                for (SpecimenCell c : s.cells()) {
                    String image = imagePath(s, c);
                    cells.addObject().put("image", image).put("dataset", c.dataset()).put("originalFile", c.originalFile())
                            .put("label", c.label()).put("blast", c.blast()).put("blastEquivalent", c.blastEquivalent());
                    Path target = dir.resolve(image);
                    Files.createDirectories(target.getParent());
                    Files.write(target, c.jpeg());
                }
            }
            Files.write(dir.resolve(MANIFEST), (mapper.writeValueAsString(root) + "\n").getBytes(StandardCharsets.UTF_8));
            Files.writeString(dir.resolve("README.md"), DemoPackReadme.render(this), StandardCharsets.UTF_8);
            log.info("demo pack written to {}: {} specimens, {} image bytes", dir, specimens.size(), imageBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write demo pack to " + dir, e);
        }
    }

    private static String imagePath(Specimen s, SpecimenCell c) {
        // Same original file → same path and bytes: a cell that recurs is stored once.
        return "images/" + s.specimenId() + "/" + c.originalStem() + ".jpg";
    }

    @FunctionalInterface
    private interface PackFiles {
        byte[] read(String relativePath) throws IOException;
    }

    private static DemoPack parse(PackFiles files) {
        ObjectMapper mapper = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
        try {
            JsonNode root = mapper.readTree(files.read(MANIFEST));
            if (!FORMAT.equals(root.path("format").asText()) || root.path("formatVersion").asInt() != FORMAT_VERSION) {
                throw new IllegalStateException("demo pack manifest is not " + FORMAT + " version " + FORMAT_VERSION);
            }
            List<Specimen> specimens = new ArrayList<>();
            for (JsonNode sn : root.path("specimens")) {
                Map<String, BigDecimal> params = new LinkedHashMap<>();
                sn.path("cbc").path("parameters").fields()
                        .forEachRemaining(e -> params.put(e.getKey(), e.getValue().path("value").decimalValue()));
                List<String> flags = new ArrayList<>();
                sn.path("cbc").path("flags").forEach(f -> flags.add(f.asText()));
                List<SpecimenCell> cells = new ArrayList<>();
                for (JsonNode cn : sn.path("cells")) {
                    cells.add(new SpecimenCell(cn.path("dataset").asText(), cn.path("originalFile").asText(),
                            cn.path("label").asText(), cn.path("blast").asBoolean(), cn.path("blastEquivalent").asBoolean(),
                            files.read(cn.path("image").asText())));
                }
                specimens.add(new Specimen(sn.path("specimenId").asText(),
                        Diagnosis.valueOf(sn.path("diagnosis").asText().toUpperCase(Locale.ROOT)),
                        sn.path("dataset").asText(), sn.path("sourceReference").asText(),
                        new SyntheticCbc(params, flags), cells));
            }
            if (specimens.isEmpty()) {
                throw new IllegalStateException("demo pack manifest lists no specimens");
            }
            return new DemoPack(root.path("seed").asLong(), specimens);
        } catch (NoSuchFileException e) {
            throw new IllegalStateException("demo pack file missing: " + e.getFile(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read demo pack", e);
        }
    }
}
