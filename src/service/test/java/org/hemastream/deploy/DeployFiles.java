package org.hemastream.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Where the repository's {@code deploy/} folder is, and the queries its rules and dashboard hold. */
final class DeployFiles {

    static final Path DEPLOY = findDeploy();
    static final Path RULES = DEPLOY.resolve("prometheus/hemastream-rules.yaml");
    static final Path DASHBOARD = DEPLOY.resolve("grafana/hemastream-dashboard.json");
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final ObjectMapper JSON = new ObjectMapper();

    /** The tests run in the module's folder: the repository root or, in a multi-module build, below it. */
    private static Path findDeploy() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("deploy/prometheus"))) {
                return p.resolve("deploy");
            }
        }
        throw new IllegalStateException("no deploy/ folder above " + Path.of("").toAbsolutePath());
    }

    /** The {@code expr} of every rule in a Prometheus rules file. */
    static List<String> ruleExpressions(Path rulesFile) {
        List<String> out = new ArrayList<>();
        for (JsonNode group : read(YAML, rulesFile).get("groups")) {
            for (JsonNode rule : group.get("rules")) {
                out.add(rule.get("expr").asText());
            }
        }
        return out;
    }

    /** The {@code expr} of every panel target of the dashboard. */
    static List<String> dashboardExpressions() {
        List<String> out = new ArrayList<>();
        for (JsonNode panel : read(JSON, DASHBOARD).get("panels")) {
            for (JsonNode target : panel.path("targets")) {
                out.add(target.get("expr").asText());
            }
        }
        return out;
    }

    static JsonNode read(ObjectMapper mapper, Path file) {
        try {
            return mapper.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }

    private DeployFiles() {
    }
}
