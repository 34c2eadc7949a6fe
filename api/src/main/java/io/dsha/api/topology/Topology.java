package io.dsha.api.topology;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * The declared state: what the operator asked for. Immutable; every missing optional field takes
 * its default in the constructor, so a stored topology always shows the values in effect. A
 * topology is only meaningful once it has passed validation (field constraints plus the
 * cross-field rules of the control plane); the constructor itself never rejects anything, so that
 * validation can list every problem at once. {@code freshness} (optional): the data cross-check
 * between instances. {@code ingest} (optional): requests that carry records, delivered to every instance.
 */
public record Topology(
        @NotNull @Valid Listener listener,
        @Fqdn String fqdn,
        @NotNull TlsMode tlsMode,
        @NotNull Mode mode,
        @NotNull @Valid Failback failback,
        @NotNull AllDownPolicy allDown,
        @NotEmpty(message = "must list at least one backend")
        @Size(max = 1000, message = "must list at most 1000 backends") List<@NotNull @Valid Backend> backends,
        @Valid Freshness freshness,
        @Valid Ingest ingest) {

    public Topology {
        listener = listener == null ? Listener.DEFAULT : listener;
        tlsMode = tlsMode == null ? TlsMode.TERMINATE : tlsMode;
        mode = mode == null ? Mode.ACTIVE_PASSIVE : mode;
        failback = failback == null ? Failback.DEFAULT : failback;
        allDown = allDown == null ? AllDownPolicy.TRY_ALL : allDown;
        backends = backends == null ? null : withDefaultPriorities(backends);
    }

    /** A topology without ingest routes. */
    public Topology(Listener listener, String fqdn, TlsMode tlsMode, Mode mode, Failback failback, AllDownPolicy allDown,
            List<Backend> backends, Freshness freshness) {
        this(listener, fqdn, tlsMode, mode, failback, allDown, backends, freshness, null);
    }

    /** A topology without the data cross-check. */
    public Topology(Listener listener, String fqdn, TlsMode tlsMode, Mode mode, Failback failback, AllDownPolicy allDown,
            List<Backend> backends) {
        this(listener, fqdn, tlsMode, mode, failback, allDown, backends, null);
    }

    public Optional<Backend> backend(String id) {
        return backends == null ? Optional.empty() : backends.stream().filter(b -> b != null && b.id() != null && b.id().equals(id)).findFirst();
    }

    public Topology withMode(Mode newMode) {
        return new Topology(listener, fqdn, tlsMode, newMode, failback, allDown, backends, freshness, ingest);
    }

    public Topology withFailback(Failback newFailback) {
        return new Topology(listener, fqdn, tlsMode, mode, newFailback, allDown, backends, freshness, ingest);
    }

    public Topology withIngest(Ingest newIngest) {
        return new Topology(listener, fqdn, tlsMode, mode, failback, allDown, backends, freshness, newIngest);
    }

    public Topology withBackends(List<Backend> newBackends) {
        return new Topology(listener, fqdn, tlsMode, mode, failback, allDown, newBackends, freshness, ingest);
    }

    /** This topology with {@code backend} replacing the one of the same id, or appended. */
    public Topology withBackend(Backend backend) {
        List<Backend> list = new ArrayList<>(backends);
        int i = indexOf(backend.id());
        if (i >= 0) {
            list.set(i, backend);
        } else {
            list.add(backend);
        }
        return withBackends(list);
    }

    public Topology withoutBackend(String id) {
        List<Backend> list = new ArrayList<>(backends);
        list.removeIf(b -> b.id().equals(id));
        return withBackends(list);
    }

    private int indexOf(String id) {
        for (int i = 0; i < backends.size(); i++) {
            if (backends.get(i) != null && id.equals(backends.get(i).id())) {
                return i;
            }
        }
        return -1;
    }

    // Not List.copyOf: a null element must survive to be reported by validation.
    private static List<Backend> withDefaultPriorities(List<Backend> backends) {
        List<Backend> copy = new ArrayList<>(backends.size());
        for (int i = 0; i < backends.size(); i++) {
            Backend b = backends.get(i);
            copy.add(b != null && b.priority() == null ? b.withPriority(i) : b);
        }
        return Collections.unmodifiableList(copy);
    }
}
