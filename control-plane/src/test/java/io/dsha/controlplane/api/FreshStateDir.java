package io.dsha.controlplane.api;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Gives the control plane under test an empty state directory of its own. */
public class FreshStateDir implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        try {
            Path dir = Files.createTempDirectory("dsha-cp-test-");
            return Map.of("dsha.state-dir", dir.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        // The temp directory is left for post-mortem reading; it is small.
    }
}
