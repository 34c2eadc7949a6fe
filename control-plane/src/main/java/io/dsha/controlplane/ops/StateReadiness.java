package io.dsha.controlplane.ops;

import io.dsha.controlplane.ControlPlane;
import io.dsha.controlplane.Replication;
import io.dsha.controlplane.store.Published;
import io.dsha.controlplane.store.Store;
import io.dsha.etcd.LeasedKey;
import io.dsha.etcd.Role;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready when the state is loaded, its directory is writable and the last write to it did not fail (a
 * change could be stored). A failed write (a full disk, an I/O error) makes it DOWN with the file and the
 * error in {@code writeFailure}, until a change is written again. On etcd, a control plane whose id another
 * one holds among the members is DOWN too ({@code registration} names the other), until that key goes.
 */
@Readiness
@ApplicationScoped
public class StateReadiness implements HealthCheck {

    private final ControlPlane controlPlane;
    private final Replication replication;

    StateReadiness(ControlPlane controlPlane, Replication replication) {
        this.controlPlane = controlPlane;
        this.replication = replication;
    }

    @Override
    public HealthCheckResponse call() {
        Published p = controlPlane.current();
        Store store = controlPlane.store();
        boolean writable = store.writable();
        Optional<Store.WriteFailure> failure = store.writeFailure();
        HealthCheckResponseBuilder response = HealthCheckResponse.named("state")
                .status(writable && failure.isEmpty())
                .withData("revision", p.revision())
                .withData("topology", p.state().topology() != null)
                .withData("stateFile", store.location())
                .withData("writable", writable)
                .withData("writeFailures", store.writeFailures());
        failure.ifPresent(f -> response.withData("writeFailure", f.where() + ": " + f.error()));
        if (replication.replicated()) {
            // A control plane that does not lead is ready (it answers reads and forwards changes); it says who decides.
            var role = replication.role();
            response.withData("role", role.kind().name()).withData("roleReason", role.reason());
            // No control plane leads (etcd without quorum, or an election under way): no change can be made anywhere.
            // Reads still answer, from the last state, and proxies keep routing by it; the replica is not ready.
            if (role.kind() == Role.Kind.CANDIDATE) {
                response.down().withData("notReady", "no control plane leads: no change can be made until one does (" + role.reason() + ")");
            }
            replication.leader().ifPresent(l -> response.withData("leader", l.id() + " " + l.url()));
            replication.registration().ifPresent(r -> {
                response.withData("registration", r.state() == LeasedKey.State.TAKEN
                        ? "dsha.replica-id " + replication.self().id() + " is taken: " + r.reason() : r.toString());
                if (r.state() == LeasedKey.State.TAKEN) {
                    response.down();
                }
            });
        }
        return response.build();
    }
}
