package io.dsha.controlplane.api;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/**
 * {@link ControlPlaneApiTest} again, against the packaged artifact (the jar; the native executable
 * under {@code -Pnative}) in its production profile.
 */
@QuarkusIntegrationTest
class ControlPlaneApiIT extends ControlPlaneApiTest {
}
