package org.hemastream.diagnosis.cohort;

import org.hemastream.inference.evaluation.CellLabelMap;
import org.hemastream.inference.evaluation.CellManifest;
import org.hemastream.inference.evaluation.CellManifest.ManifestCell;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * The real cell images a cohort's smears are drawn from: one split ({@code train} for training
 * cohorts, {@code test} for evaluation cohorts) of PBC/WBCAtt and DeepAPL, by source and cell type,
 * labels mapped by the same {@link CellLabelMap} the cell classifier was trained with. Immutable.
 */
public final class CellPool {

    /** Source name of PBC/WBCAtt in the label map. */
    public static final String PBC = "PBC";
    /** Source name of DeepAPL in the label map. */
    public static final String DEEPAPL = "DeepAPL";
    /** A source with fewer images of a type than this lends the other source's. */
    static final int MIN_POOL = 5;

    private static final Set<String> NEUTROPHILS = Set.of("segmented_neutrophil", "band_neutrophil");
    private static final Set<String> HYPOLOBATED = Set.of("unsegmented-band", "unsegmented-round", "unsegmented-indented");

    private final String split;
    private final Map<String, Map<String, List<ManifestCell>>> bySourceAndType;
    private final List<ManifestCell> dysplastic;
    private final List<ManifestCell> hypersegmented;

    private CellPool(String split, Map<String, Map<String, List<ManifestCell>>> bySourceAndType) {
        this.split = split;
        this.bySourceAndType = bySourceAndType;
        List<ManifestCell> d = new ArrayList<>();
        for (String type : NEUTROPHILS) {
            for (ManifestCell c : pool(PBC, type)) {
                if (isDysplastic(c)) {
                    d.add(c);
                }
            }
        }
        d.sort(Comparator.comparing(c -> c.image().toString()));
        this.dysplastic = List.copyOf(d);
        this.hypersegmented = pool(PBC, "segmented_neutrophil").stream()
                .filter(c -> "segmented-multilobed".equals(c.columns().get("nucleus_shape"))).toList();
    }

    /**
     * Reads both manifests under {@code datasetsDir}.
     *
     * @param split      {@code train} or {@code test}
     * @param maxPerType keep at most this many images per source and type (0 = all): small pools for tests
     */
    public static CellPool read(Path datasetsDir, String split, int maxPerType, long seed) throws IOException {
        CellLabelMap labels = CellLabelMap.load();
        Map<String, Map<String, List<ManifestCell>>> pools = new TreeMap<>();
        for (String dataset : List.of("pbc_wbcatt", "deepapl_cellavision")) {
            CellManifest manifest = CellManifest.read(datasetsDir.resolve(dataset).resolve("manifest.csv"), labels);
            for (ManifestCell c : manifest.select(CellManifest.Split.valueOf(split)).cells()) {
                pools.computeIfAbsent(c.source(), k -> new TreeMap<>())
                        .computeIfAbsent(c.cellType(), k -> new ArrayList<>()).add(c);
            }
        }
        pools.values().forEach(byType -> byType.replaceAll((type, cells) -> {
            List<ManifestCell> sorted = new ArrayList<>(cells);
            sorted.sort(Comparator.comparing(c -> c.image().toString()));
            if (maxPerType > 0 && sorted.size() > maxPerType) {
                // Keep the dysplastic neutrophils represented in a capped pool too.
                Collections.shuffle(sorted, new Random(seed ^ type.hashCode()));
                List<ManifestCell> kept = new ArrayList<>(sorted.subList(0, maxPerType));
                sorted.stream().filter(CellPool::isDysplastic).limit(maxPerType / 2)
                        .filter(c -> !kept.contains(c)).forEach(kept::add);
                sorted.stream().filter(c -> "segmented-multilobed".equals(c.columns().get("nucleus_shape")))
                        .limit(maxPerType / 2).filter(c -> !kept.contains(c)).forEach(kept::add);
                kept.sort(Comparator.comparing(c -> c.image().toString()));
                return List.copyOf(kept);
            }
            return List.copyOf(sorted);
        }));
        return new CellPool(split, pools);
    }

    public String split() {
        return split;
    }

    /** The images of one source and type, possibly empty. */
    public List<ManifestCell> pool(String source, String type) {
        return bySourceAndType.getOrDefault(source, Map.of()).getOrDefault(type, List.of());
    }

    /**
     * Draws one image of {@code type}, from {@code preferredSource} when it has enough of them, else
     * from the other source.
     */
    public ManifestCell draw(String type, String preferredSource, Random r) {
        List<ManifestCell> pool = pool(preferredSource, type);
        if (pool.size() < MIN_POOL) {
            List<ManifestCell> other = pool(PBC.equals(preferredSource) ? DEEPAPL : PBC, type);
            pool = other.size() > pool.size() ? other : pool;
        }
        if (pool.isEmpty()) {
            throw new IllegalStateException("no " + split + " images of cell type " + type + " in either data set");
        }
        return pool.get(r.nextInt(pool.size()));
    }

    /** Draws a dysplastic neutrophil (PBC: WBCAtt says hypolobated nucleus or no granules). */
    public ManifestCell drawDysplasticNeutrophil(Random r) {
        if (dysplastic.isEmpty()) {
            throw new IllegalStateException("no " + split + " PBC neutrophils annotated hypolobated or agranular");
        }
        return dysplastic.get(r.nextInt(dysplastic.size()));
    }

    /** Draws a hypersegmented neutrophil (PBC: WBCAtt says segmented-multilobed nucleus). */
    public ManifestCell drawHypersegmentedNeutrophil(Random r) {
        if (hypersegmented.isEmpty()) {
            throw new IllegalStateException("no " + split + " PBC neutrophils annotated segmented-multilobed");
        }
        return hypersegmented.get(r.nextInt(hypersegmented.size()));
    }

    /** Images per source and type, for the model card. */
    public Map<String, Map<String, Integer>> counts() {
        Map<String, Map<String, Integer>> out = new LinkedHashMap<>();
        bySourceAndType.forEach((s, byType) -> {
            Map<String, Integer> m = new LinkedHashMap<>();
            byType.forEach((t, cells) -> m.put(t, cells.size()));
            out.put(s, m);
        });
        return out;
    }

    /**
     * The WBCAtt stand-in for MDS dysplasia: a segmented neutrophil whose nucleus the annotators call
     * unsegmented (pseudo-Pelger-like hypolobation), or any neutrophil annotated without granules.
     */
    static boolean isDysplastic(ManifestCell c) {
        if (!PBC.equals(c.source()) || !NEUTROPHILS.contains(c.cellType())) {
            return false;
        }
        String nucleus = c.columns().getOrDefault("nucleus_shape", "");
        String granularity = c.columns().getOrDefault("granularity", "");
        return "no".equals(granularity)
                || ("segmented_neutrophil".equals(c.cellType()) && HYPOLOBATED.contains(nucleus));
    }
}
