package org.hemastream.faults;

import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Where two JSON values first differ, as a path and the two values, or null when they are equal;
 * numbers within a tolerance are equal, object field order does not matter, array order does.
 * Values of fields that may carry identifiers or raw input are not shown.
 */
final class JsonDifference {

    private static final Set<String> HIDDEN = Set.of("specimenId", "slideId", "cellId", "key", "base64", "errorMessage");

    private JsonDifference() {
    }

    static String first(JsonNode a, JsonNode b, double tolerance) {
        return first(a, b, tolerance, "");
    }

    private static String first(JsonNode a, JsonNode b, double tolerance, String path) {
        if (a == null || b == null || a.isMissingNode() || b.isMissingNode()) {
            return (a == null || a.isMissingNode()) && (b == null || b.isMissingNode()) ? null
                    : describe(path, a, b);
        }
        if (a.isNumber() && b.isNumber()) {
            return Math.abs(a.asDouble() - b.asDouble()) <= tolerance ? null : describe(path, a, b);
        }
        if (a.getNodeType() != b.getNodeType()) {
            return describe(path, a, b);
        }
        if (a.isObject()) {
            Set<String> names = new TreeSet<>();
            a.fieldNames().forEachRemaining(names::add);
            b.fieldNames().forEachRemaining(names::add);
            for (String name : names) {
                String d = first(a.path(name), b.path(name), tolerance, path + "/" + name);
                if (d != null) {
                    return d;
                }
            }
            return null;
        }
        if (a.isArray()) {
            if (a.size() != b.size()) {
                return path + ": " + a.size() + " elements -> " + b.size();
            }
            Iterator<JsonNode> x = a.elements();
            Iterator<JsonNode> y = b.elements();
            for (int i = 0; x.hasNext(); i++) {
                String d = first(x.next(), y.next(), tolerance, path + "/" + i);
                if (d != null) {
                    return d;
                }
            }
            return null;
        }
        return a.equals(b) ? null : describe(path, a, b);
    }

    private static String describe(String path, JsonNode a, JsonNode b) {
        String field = path.substring(path.lastIndexOf('/') + 1);
        if (HIDDEN.contains(field)) {
            return path + ": differs";
        }
        return path + ": " + show(a) + " -> " + show(b);
    }

    private static String show(JsonNode n) {
        if (n == null || n.isMissingNode()) {
            return "(absent)";
        }
        String text = n.toString();
        return text.length() > 40 ? text.substring(0, 37) + "..." : text;
    }
}
