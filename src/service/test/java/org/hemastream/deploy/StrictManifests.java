package org.hemastream.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads Kubernetes manifests into the real typed models — fabric8's Kubernetes and Prometheus Operator
 * models, Strimzi's API — and refuses any field the model does not know. Both libraries keep unknown fields
 * in an {@code additionalProperties} map instead of failing (Kubernetes would drop or, with strict field
 * validation, refuse them), so every such map in the parsed object graph must be empty.
 */
final class StrictManifests {

    /** One YAML document of a file: its kind and the raw tree (and the typed object, when the kind is modelled here). */
    record Manifest(String source, String apiVersion, String kind, String name, JsonNode tree, Object typed) {
    }

    /** apiVersion/kind → model class. KEDA's kinds are checked against KEDA's own model (deploy/checks/check-keda.mjs, run by .ci/run). */
    static final Map<String, Class<?>> MODELS = Map.ofEntries(
            Map.entry("v1/Namespace", io.fabric8.kubernetes.api.model.Namespace.class),
            Map.entry("v1/ConfigMap", io.fabric8.kubernetes.api.model.ConfigMap.class),
            Map.entry("v1/Secret", io.fabric8.kubernetes.api.model.Secret.class),
            Map.entry("v1/Service", io.fabric8.kubernetes.api.model.Service.class),
            Map.entry("apps/v1/StatefulSet", io.fabric8.kubernetes.api.model.apps.StatefulSet.class),
            Map.entry("apps/v1/Deployment", io.fabric8.kubernetes.api.model.apps.Deployment.class),
            Map.entry("policy/v1/PodDisruptionBudget", io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget.class),
            Map.entry("kafka.strimzi.io/v1beta2/KafkaTopic", io.strimzi.api.kafka.model.topic.KafkaTopic.class),
            Map.entry("kafka.strimzi.io/v1beta2/KafkaUser", io.strimzi.api.kafka.model.user.KafkaUser.class),
            Map.entry("monitoring.coreos.com/v1/ServiceMonitor", io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor.class),
            Map.entry("monitoring.coreos.com/v1/PrometheusRule", io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule.class));

    static final Set<String> KEDA_KINDS = Set.of("keda.sh/v1alpha1/ScaledObject", "keda.sh/v1alpha1/TriggerAuthentication");

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    /** Every document of a multi-document YAML text, parsed strictly; a kind without a model here fails. */
    static List<Manifest> parse(String source, String yaml) throws IOException {
        List<Manifest> out = new ArrayList<>();
        try (YAMLParser parser = (YAMLParser) YAML.getFactory().createParser(yaml)) {
            for (JsonNode doc : YAML.readValues(parser, JsonNode.class).readAll()) {
                if (doc == null || doc.isNull() || doc.isEmpty()) {
                    continue;
                }
                String apiVersion = doc.path("apiVersion").asText();
                String kind = doc.path("kind").asText();
                String key = apiVersion + "/" + kind;
                String where = source + " " + kind + " " + doc.path("metadata").path("name").asText();
                Object typed = null;
                if (MODELS.containsKey(key)) {
                    try {
                        typed = YAML.treeToValue(doc, MODELS.get(key));
                    } catch (IOException e) {
                        throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
                    }
                    List<String> unknown = new ArrayList<>();
                    unknownFields(typed, kind, unknown, new IdentityHashMap<>());
                    if (!unknown.isEmpty()) {
                        throw new IllegalArgumentException(where + ": fields the " + key + " model does not know: " + unknown);
                    }
                } else if (!KEDA_KINDS.contains(key)) {
                    throw new IllegalArgumentException(where + ": no model for " + key);
                }
                out.add(new Manifest(source, apiVersion, kind, doc.path("metadata").path("name").asText(), doc, typed));
            }
        }
        return out;
    }

    /** Walks the model's getters and collects the path of every non-empty additionalProperties map. */
    static void unknownFields(Object o, String path, List<String> unknown, IdentityHashMap<Object, Boolean> seen) {
        if (o == null || seen.put(o, Boolean.TRUE) != null) {
            return;
        }
        if (o instanceof Collection<?> c) {
            int i = 0;
            for (Object e : c) {
                unknownFields(e, path + "[" + i++ + "]", unknown, seen);
            }
            return;
        }
        if (o instanceof Map<?, ?> m) {
            m.forEach((k, v) -> unknownFields(v, path + "." + k, unknown, seen));
            return;
        }
        String pkg = o.getClass().getPackageName();
        if (!pkg.startsWith("io.fabric8.") && !pkg.startsWith("io.strimzi.")) {
            return;
        }
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || m.getDeclaringClass() == Object.class
                    || !(m.getName().startsWith("get") || m.getName().startsWith("is"))) {
                continue;
            }
            Object value;
            try {
                value = m.invoke(o);
            } catch (ReflectiveOperationException | RuntimeException e) {
                continue; // a computed getter (e.g. a CustomResource's CRD name) that does not apply here
            }
            if (m.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    extra.keySet().forEach(k -> unknown.add(path + "." + k));
                }
            } else {
                unknownFields(value, path + "." + field(m.getName()), unknown, seen);
            }
        }
    }

    /** {@code getLivenessProbe} → {@code livenessProbe}. */
    private static String field(String getter) {
        String f = getter.replaceFirst("^(get|is)", "");
        return f.isEmpty() ? f : Character.toLowerCase(f.charAt(0)) + f.substring(1);
    }

    private StrictManifests() {
    }
}
