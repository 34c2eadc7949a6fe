package io.dsha.health.ops;

import io.dsha.health.Checker;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready while the control plane is reachable and a topology has come from it. Liveness has no such
 * check: a checker cut off from the control plane goes on probing and keeps its newest
 * observations, and restarting it would help nothing.
 */
@Readiness
@ApplicationScoped
public class ControlPlaneReadiness implements HealthCheck {

    private final Checker checker;

    ControlPlaneReadiness(Checker checker) {
        this.checker = checker;
    }

    @Override
    public HealthCheckResponse call() {
        var link = checker.link();
        HealthCheckResponseBuilder b = HealthCheckResponse.named("control-plane")
                .status(link.isReachable() && link.hasTopology())
                .withData("url", link.url())
                .withData("checkerId", checker.checkerId())
                .withData("topology", link.hasTopology())
                .withData("pendingObservations", checker.pending().size());
        if (!link.isReachable()) {
            b.withData("error", link.lastError());
        }
        return b.build();
    }
}
