package org.hemastream.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The alerts Prometheus Operator loads (deploy/k8s/base/prometheusrule.yaml) are exactly those of the rules
 * file that promtool checks and unit-tests (deploy/prometheus/hemastream-rules.yaml): group for group,
 * rule for rule, field for field.
 */
class PrometheusRuleMatchesRulesFileTest {

    @Test
    void thePrometheusRulesGroupsAreTheRulesFilesGroups() throws Exception {
        var file = DeployFiles.DEPLOY.resolve("k8s/base/prometheusrule.yaml");
        List<StrictManifests.Manifest> parsed = StrictManifests.parse(file.toString(), Files.readString(file));
        assertThat(parsed).hasSize(1);
        PrometheusRule rule = (PrometheusRule) parsed.get(0).typed();
        assertThat(rule.getSpec().getGroups()).isNotEmpty();

        JsonNode inCluster = parsed.get(0).tree().at("/spec/groups");
        JsonNode promtooled = DeployFiles.read(DeployFiles.YAML, DeployFiles.RULES).get("groups");
        assertThat(inCluster).isEqualTo(promtooled);
        assertThat(DeployFiles.ruleExpressions(DeployFiles.RULES)).hasSize(6);
    }
}
