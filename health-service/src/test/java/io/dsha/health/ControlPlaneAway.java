package io.dsha.health;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * The settings of the checker under test, in-process ({@code @QuarkusTest}) or as the packaged
 * artifact in its production profile ({@code @QuarkusIntegrationTest}): its control plane is away
 * (port 1 refuses at once) and its id is known.
 */
public class ControlPlaneAway implements QuarkusTestResourceLifecycleManager {

    static final String CHECKER_ID = "test-checker";

    @Override
    public Map<String, String> start() {
        return Map.of("dsha.control-plane.url", "http://127.0.0.1:1", "dsha.checker-id", CHECKER_ID);
    }

    @Override
    public void stop() {
        // nothing was started
    }
}
