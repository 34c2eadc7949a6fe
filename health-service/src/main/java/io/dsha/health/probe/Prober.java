package io.dsha.health.probe;

import io.vertx.core.Future;

/**
 * Runs one probe. Implementations never block the calling thread and always complete the future
 * (a failed probe is a succeeded future with a DOWN result, never a failed future).
 */
@FunctionalInterface
public interface Prober {
    Future<ProbeResult> probe(ProbeTarget target);
}
