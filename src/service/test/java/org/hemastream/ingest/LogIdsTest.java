package org.hemastream.ingest;

import org.hemastream.config.ServiceConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class LogIdsTest {

    @TempDir
    Path dir;

    @Test
    void pseudonymsHideTheIdAndAreTheSameUnderTheSameKeyOnEveryInstance() throws Exception {
        Path key = Files.writeString(dir.resolve("pseudonym.key"), "0123456789abcdef0123456789abcdef\n");
        ServiceConfig.LoggingConfig config = new ServiceConfig.LoggingConfig(ServiceConfig.SpecimenIdLogging.PSEUDONYMISED, key);
        LogIds one = LogIds.from(config);
        LogIds other = LogIds.from(config);
        String pseudonym = one.of("MRN-12345678");
        assertThat(pseudonym).matches("id:[0-9a-f]{12}").doesNotContain("12345678");
        assertThat(other.of("MRN-12345678")).as("another instance with the same key").isEqualTo(pseudonym);
        assertThat(one.of("MRN-12345679")).isNotEqualTo(pseudonym);
        assertThat(LogIds.pseudonymised("fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.UTF_8))
                .of("MRN-12345678")).as("another key").isNotEqualTo(pseudonym);
    }

    @Test
    void withoutAKeyFileEachProcessDrawsItsOwnKey() {
        ServiceConfig.LoggingConfig config = new ServiceConfig.LoggingConfig(ServiceConfig.SpecimenIdLogging.PSEUDONYMISED, null);
        assertThat(LogIds.from(config).of("S-1")).isNotEqualTo(LogIds.from(config).of("S-1"));
    }

    @Test
    void plainIdsAreLoggedAsTheyAreButCannotForgeLogLines() {
        LogIds plain = LogIds.from(new ServiceConfig.LoggingConfig(ServiceConfig.SpecimenIdLogging.PLAIN, null));
        assertThat(plain.of("AML-0001")).isEqualTo("AML-0001");
        assertThat(plain.of("X\n12:00:00 INFO forged")).isEqualTo("X?12?00?00?INFO?forged");
        assertThat(plain.of("A".repeat(100))).hasSize(65).endsWith("…");
        assertThat(plain.of(null)).isEqualTo("id:-");
    }
}
