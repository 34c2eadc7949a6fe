package io.dsha.controlplane.ops;

import io.dsha.controlplane.ControlPlane;
import io.dsha.controlplane.store.Published;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready when the state is loaded and its directory is writable (a change could be stored). */
@Readiness
@ApplicationScoped
public class StateReadiness implements HealthCheck {

    private final ControlPlane controlPlane;

    StateReadiness(ControlPlane controlPlane) {
        this.controlPlane = controlPlane;
    }

    @Override
    public HealthCheckResponse call() {
        Published p = controlPlane.current();
        boolean writable = controlPlane.store().writable();
        return HealthCheckResponse.named("state")
                .status(writable)
                .withData("revision", p.revision())
                .withData("topology", p.state().topology() != null)
                .withData("stateFile", controlPlane.store().stateFile().toString())
                .withData("writable", writable)
                .build();
    }
}
