package io.dsha.proxy;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/**
 * {@link ProxyServiceTest} again, against the packaged artifact (the jar; the native executable
 * under {@code -Pnative}) in its production profile.
 */
@QuarkusIntegrationTest
class ProxyServiceIT extends ProxyServiceTest {
}
