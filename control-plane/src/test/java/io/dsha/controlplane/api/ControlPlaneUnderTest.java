package io.dsha.controlplane.api;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The settings of the control plane under test, in-process ({@code @QuarkusTest}) or as the packaged
 * artifact in its production profile ({@code @QuarkusIntegrationTest}): the test tokens and an empty
 * state directory of its own.
 */
public class ControlPlaneUnderTest implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        try {
            Path dir = Files.createTempDirectory("dsha-cp-test-");
            return Map.of("dsha.state-dir", dir.toString(),
                    "dsha.admin-token", ApiFixture.ADMIN,
                    "dsha.agent-token", ApiFixture.AGENT);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        // The temp directory is left for post-mortem reading; it is small.
    }
}
