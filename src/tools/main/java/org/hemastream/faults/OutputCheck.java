package org.hemastream.faults;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The verifier's judgement, without Kafka: outputs go in (in the order a {@code read_committed}
 * consumer saw them), a {@link Verdict} comes out — per kind of output: lost, duplicated, same ID with
 * different content, different from the baseline, extra — and the specimens left incomplete. In the
 * spirit of Kafka's EOS system test ("all records delivered, each once"), with content checked too:
 * a consumer that keeps the latest version of an output by ID must end up with the right one.
 *
 * <p>Content is compared as JSON without processing-time fields ({@link OutputKind}); numbers within
 * {@code tolerance} of each other are equal (probabilities are rounded to 1e-6 on the wire, and a
 * batch of another size may round the last digit the other way). Not thread-safe.
 */
public final class OutputCheck {

    /** What one ID was seen as: every copy, in order. */
    private static final class Seen {
        final List<JsonNode> copies = new ArrayList<>();
        String specimenId;
    }

    private final double tolerance;
    private final Map<OutputKind, Map<String, Seen>> seen = new EnumMap<>(OutputKind.class);
    private final Map<OutputKind, Integer> unreadable = new EnumMap<>(OutputKind.class);

    public OutputCheck(double tolerance) {
        if (!(tolerance >= 0)) {
            throw new IllegalArgumentException("tolerance must be >= 0, was " + tolerance);
        }
        this.tolerance = tolerance;
        for (OutputKind k : OutputKind.values()) {
            seen.put(k, new LinkedHashMap<>());
            unreadable.put(k, 0);
        }
    }

    /** Adds one output; an output without its identity fields is counted as unreadable. */
    public void add(OutputKind kind, JsonNode event) {
        String id;
        try {
            id = kind.idOf(event);
        } catch (IllegalArgumentException e) {
            unreadable.merge(kind, 1, Integer::sum);
            return;
        }
        Seen s = seen.get(kind).computeIfAbsent(id, k -> new Seen());
        s.copies.add(kind.comparable(event, false));
        s.specimenId = kind.specimenOf(event);
    }

    /** Counts an output that was not JSON, or not of the kind its topic carries. */
    public void addUnreadable(OutputKind kind) {
        unreadable.merge(kind, 1, Integer::sum);
    }

    /**
     * The baseline these outputs make: the last copy of every ID, without processing-time fields.
     *
     * @throws IllegalStateException when an ID was seen with different contents: such a run cannot be a baseline
     */
    public Baseline toBaseline() {
        Map<OutputKind, Map<String, JsonNode>> outputs = new EnumMap<>(OutputKind.class);
        for (OutputKind k : OutputKind.values()) {
            Map<String, JsonNode> byId = new LinkedHashMap<>();
            for (Map.Entry<String, Seen> e : seen.get(k).entrySet()) {
                List<JsonNode> copies = e.getValue().copies;
                for (JsonNode copy : copies) {
                    if (!same(copy, copies.get(0), k, false)) {
                        throw new IllegalStateException("a baseline run must be clean, but a " + k.eventType()
                                + " (" + redact(k, e.getKey()) + ") was published with different contents");
                    }
                }
                byId.put(e.getKey(), copies.get(copies.size() - 1));
            }
            outputs.put(k, byId);
        }
        return new Baseline(outputs);
    }

    /** Judges what was added, against {@code baseline} when not null. */
    public Verdict verify(Baseline baseline) {
        Map<OutputKind, KindVerdict> kinds = new EnumMap<>(OutputKind.class);
        Set<String> specimensWithOutputs = new TreeSet<>();
        Set<String> specimensWithFinal = new TreeSet<>();
        for (OutputKind k : OutputKind.values()) {
            Map<String, Seen> ids = seen.get(k);
            Map<String, JsonNode> expected = baseline == null ? null : baseline.outputs().get(k);
            int records = 0;
            int duplicated = 0;
            List<String> duplicatedExamples = new ArrayList<>();
            int conflicting = 0;
            List<String> conflictingExamples = new ArrayList<>();
            int differs = 0;
            List<String> differsExamples = new ArrayList<>();
            int extra = 0;
            List<String> extraExamples = new ArrayList<>();
            for (Map.Entry<String, Seen> e : ids.entrySet()) {
                List<JsonNode> copies = e.getValue().copies;
                records += copies.size();
                if (k != OutputKind.DEAD_LETTER && e.getValue().specimenId != null) {
                    specimensWithOutputs.add(e.getValue().specimenId);
                }
                boolean allSame = copies.stream().allMatch(c -> same(c, copies.get(0), k, false));
                if (!allSame) {
                    conflicting++;
                    example(conflictingExamples, redact(k, e.getKey()) + " " + firstDifference(copies, k));
                } else if (copies.size() > 1) {
                    duplicated += copies.size() - 1;
                    example(duplicatedExamples, redact(k, e.getKey()) + " x" + copies.size());
                }
                if (expected != null) {
                    JsonNode want = expected.get(e.getKey());
                    if (want == null) {
                        extra++;
                        example(extraExamples, redact(k, e.getKey()));
                    } else {
                        for (JsonNode copy : copies) {
                            if (!same(copy, want, k, true)) {
                                differs++;
                                String where = JsonDifference.first(k.comparable(want, true), k.comparable(copy, true), tolerance);
                                boolean last = copy == copies.get(copies.size() - 1);
                                example(differsExamples, redact(k, e.getKey()) + " " + where + (last ? " (the last copy)" : ""));
                                break;
                            }
                        }
                    }
                }
                for (JsonNode copy : copies) {
                    if (k.isFinalScore(copy) && e.getValue().specimenId != null) {
                        specimensWithFinal.add(e.getValue().specimenId);
                    }
                }
            }
            int lost = 0;
            List<String> lostExamples = new ArrayList<>();
            if (expected != null) {
                for (String id : expected.keySet()) {
                    if (!ids.containsKey(id)) {
                        lost++;
                        example(lostExamples, redact(k, id));
                    }
                }
            }
            kinds.put(k, new KindVerdict(k, expected == null ? -1 : expected.size(), ids.size(), records,
                    lost, duplicated, conflicting, differs, extra, unreadable.get(k),
                    Map.of("lost", lostExamples, "duplicated", duplicatedExamples, "same-ID-different-content", conflictingExamples,
                            "differs-from-baseline", differsExamples, "extra", extraExamples)));
        }
        Set<String> incomplete = new TreeSet<>(specimensWithOutputs);
        if (baseline != null) {
            incomplete.addAll(baseline.specimensWithFinalScore());
        }
        incomplete.removeAll(specimensWithFinal);
        return new Verdict(kinds, incomplete.size(), baseline != null);
    }

    private boolean same(JsonNode a, JsonNode b, OutputKind kind, boolean againstBaseline) {
        JsonNode x = againstBaseline ? kind.comparable(a, true) : a;
        JsonNode y = againstBaseline ? kind.comparable(b, true) : b;
        return JsonDifference.first(x, y, tolerance) == null;
    }

    private String firstDifference(List<JsonNode> copies, OutputKind kind) {
        for (JsonNode c : copies) {
            String d = JsonDifference.first(copies.get(0), c, tolerance);
            if (d != null) {
                return d + " (" + copies.size() + " copies)";
            }
        }
        return "";
    }

    private static void example(List<String> examples, String text) {
        if (examples.size() < 5) {
            examples.add(text);
        }
    }

    /**
     * An ID as it may appear in a report: alert and score IDs are UUIDs and say nothing about a
     * patient; cell-result and dead-letter IDs contain specimen IDs and keys, so they are hashed.
     */
    static String redact(OutputKind kind, String id) {
        return switch (kind) {
            case BLAST_ALERT, DIAGNOSTIC_SCORE -> id;
            case CELL_RESULT, DEAD_LETTER -> "#" + OutputKind.sha256(id).substring(0, 12);
        };
    }

    /** The judgement of one kind of output. Counts are IDs, except {@code duplicated}: extra identical copies. */
    public record KindVerdict(OutputKind kind, int expected, int distinct, int records, int lost, int duplicated,
                              int sameIdDifferentContent, int differsFromBaseline, int extra, int unreadable,
                              Map<String, List<String>> examples) {

        public int violations() {
            return lost + duplicated + sameIdDifferentContent + differsFromBaseline + extra + unreadable;
        }
    }

    /** The judgement of a whole run. */
    public record Verdict(Map<OutputKind, KindVerdict> kinds, int incompleteSpecimens, boolean comparedWithBaseline) {

        /** Whether anything is wrong. {@code allowDuplicates} forgives identical copies (at-least-once). */
        public boolean passed(boolean allowDuplicates) {
            for (KindVerdict v : kinds.values()) {
                if (v.violations() - (allowDuplicates ? v.duplicated() : 0) > 0) {
                    return false;
                }
            }
            return incompleteSpecimens == 0;
        }

        public int total(java.util.function.ToIntFunction<KindVerdict> count) {
            return kinds.values().stream().mapToInt(count).sum();
        }

        /** The summary table, markdown, one row per kind of output and a total. */
        public String table() {
            StringBuilder b = new StringBuilder();
            b.append("| output | expected | distinct | records | lost | duplicated | same-ID-different-content | differs-from-baseline | extra | unreadable |\n");
            b.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (KindVerdict v : kinds.values()) {
                b.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %d | %d | %d | %d | %d | %d |%n", v.kind().plural(),
                        v.expected() < 0 ? "-" : Integer.toString(v.expected()), v.distinct(), v.records(), v.lost(),
                        v.duplicated(), v.sameIdDifferentContent(), v.differsFromBaseline(), v.extra(), v.unreadable()));
            }
            b.append(String.format(Locale.ROOT, "| **total** | %s | %d | %d | %d | %d | %d | %d | %d | %d |%n",
                    comparedWithBaseline ? Integer.toString(total(KindVerdict::expected)) : "-",
                    total(KindVerdict::distinct), total(KindVerdict::records), total(KindVerdict::lost),
                    total(KindVerdict::duplicated), total(KindVerdict::sameIdDifferentContent),
                    total(KindVerdict::differsFromBaseline), total(KindVerdict::extra), total(KindVerdict::unreadable)));
            b.append(String.format(Locale.ROOT, "%nspecimens incomplete (no final score): %d%n", incompleteSpecimens));
            return b.toString();
        }

        /** Up to five examples per violation, IDs redacted ({@link #redact}). */
        public String examples() {
            StringBuilder b = new StringBuilder();
            for (KindVerdict v : kinds.values()) {
                for (Iterator<Map.Entry<String, List<String>>> it = new java.util.TreeMap<>(v.examples()).entrySet().iterator(); it.hasNext(); ) {
                    Map.Entry<String, List<String>> e = it.next();
                    for (String text : e.getValue()) {
                        b.append(v.kind().plural()).append(' ').append(e.getKey()).append(": ").append(text).append('\n');
                    }
                }
            }
            return b.toString();
        }
    }
}
