package org.hemastream.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ClassifierConfigTest {

    @Test
    void defaultsAreValidAndUseTheModelInTheJarOnTheCpu() {
        ClassifierConfig c = ClassifierConfig.defaults();

        assertThat(c.modelPath()).isNull();
        assertThat(c.executionProvider()).isEqualTo(ExecutionProvider.CPU);
        assertThat(c.imageLimits()).isEqualTo(ImageLimits.DEFAULT);
    }

    @Test
    void outOfRangeValuesAreRefusedNamingTheKey() {
        ClassifierConfig c = ClassifierConfig.defaults();

        assertThatThrownBy(() -> c.withThreads(-1, 1)).hasMessageContaining(ClassifierConfig.KEY_INTRA_OP_THREADS);
        assertThatThrownBy(() -> c.withThreads(1, 1000)).hasMessageContaining(ClassifierConfig.KEY_INTER_OP_THREADS);
        assertThatThrownBy(() -> c.withImageLimits(0, 10)).hasMessageContaining(ClassifierConfig.KEY_MAX_IMAGE_BYTES);
        assertThatThrownBy(() -> c.withImageLimits(10, 0)).hasMessageContaining(ClassifierConfig.KEY_MAX_IMAGE_PIXELS);
    }

    @Test
    void executionProviderIsParsedInAnyCaseAndUnknownNamesNameTheKey() {
        assertThat(ExecutionProvider.parse("k", " CUDA ")).isEqualTo(ExecutionProvider.CUDA);
        assertThat(ExecutionProvider.parse("k", "auto")).isEqualTo(ExecutionProvider.AUTO);
        assertThatThrownBy(() -> ExecutionProvider.parse(ClassifierConfig.KEY_EXECUTION_PROVIDER, "tpu"))
                .hasMessageContaining(ClassifierConfig.KEY_EXECUTION_PROVIDER).hasMessageContaining("tpu");
    }
}
