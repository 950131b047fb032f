package org.hemastream.review;

import org.hemastream.config.ConfigException;
import org.hemastream.config.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReviewersTest {

    @TempDir
    Path dir;

    private static Function<String, String> headers(Map<String, String> h) {
        return name -> h.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue)
                .findFirst().orElse(null);
    }

    private static String basic(String name, String token) {
        return "Basic " + Base64.getEncoder().encodeToString((name + ":" + token).getBytes(StandardCharsets.UTF_8));
    }

    private Reviewers reviewers(Map<String, String> extra, String... lines) throws Exception {
        Path file = dir.resolve("reviewers.txt");
        Files.write(file, java.util.List.of(lines));
        Map<String, String> s = new java.util.HashMap<>(Map.of("review.reviewersFile", file.toString()));
        s.putAll(extra);
        return Reviewers.load(ReviewConfig.from(Settings.defaults().with(s)));
    }

    @Test
    void aReviewerFromTheFileIsRecognisedByNameAndTokenOnly() throws Exception {
        String token = Reviewers.newToken();
        Reviewers r = reviewers(Map.of(), "# the lab's hematologists", Reviewers.fileLine("Dr. Ana Souza", token),
                Reviewers.fileLine("tech-2", Reviewers.newToken()));

        assertThat(r.identify(headers(Map.of("Authorization", basic("Dr. Ana Souza", token)))))
                .contains(new Reviewers.Reviewer("Dr. Ana Souza", "reviewers-file"));
        assertThat(r.identify(headers(Map.of("Authorization", basic("Dr. Ana Souza", token + "x"))))).isEmpty();
        assertThat(r.identify(headers(Map.of("Authorization", basic("tech-2", token))))).isEmpty();
        assertThat(r.identify(headers(Map.of("Authorization", "Basic !!not-base64")))).isEmpty();
        assertThat(r.identify(headers(Map.of()))).isEmpty();
    }

    @Test
    void theIdentityHeaderCountsOnlyWhenConfigured() throws Exception {
        Reviewers fileOnly = reviewers(Map.of(), Reviewers.fileLine("a", Reviewers.newToken()));
        assertThat(fileOnly.identify(headers(Map.of("X-Forwarded-User", "mallory")))).isEmpty();

        Reviewers proxied = reviewers(Map.of("review.identityHeader", "X-Forwarded-User"), Reviewers.fileLine("a", Reviewers.newToken()));
        assertThat(proxied.identify(headers(Map.of("x-forwarded-user", "Dr. Lee"))))
                .contains(new Reviewers.Reviewer("Dr. Lee", "identity-header"));
        assertThat(proxied.identify(headers(Map.of("X-Forwarded-User", "")))).isEmpty();
    }

    @Test
    void aServerThatCannotNameItsReviewersDoesNotStart() {
        assertThatThrownBy(() -> ReviewConfig.from(Settings.defaults()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("review.reviewersFile");
    }

    @Test
    void aBadReviewersFileLineStopsStartUpNamingTheLine() {
        assertThatThrownBy(() -> reviewers(Map.of(), "dr-a sha256:abc"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("review.reviewersFile").hasMessageContaining("line 1");
        assertThatThrownBy(() -> reviewers(Map.of(), "dr-a plaintext-token-here"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("line 1");
    }

    @Test
    void alertsReviewBaseUrlMustBeAnAbsoluteHttpUrl() {
        assertThatThrownBy(() -> org.hemastream.config.ServiceConfig.from(Settings.defaults().with(
                Map.of("alerts.reviewBaseUrl", "review.lab/x")))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("alerts.reviewBaseUrl");
        assertThat(org.hemastream.config.ServiceConfig.from(Settings.defaults().with(
                Map.of("alerts.reviewBaseUrl", "https://hema-review.lab.example/"))).alerts().reviewBaseUrl())
                .isEqualTo("https://hema-review.lab.example");
    }
}
