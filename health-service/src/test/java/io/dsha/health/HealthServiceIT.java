package io.dsha.health;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/**
 * {@link HealthServiceTest} again, against the packaged artifact (the jar; the native executable
 * under {@code -Pnative}) in its production profile.
 */
@QuarkusIntegrationTest
class HealthServiceIT extends HealthServiceTest {
}
