package io.dsha.controlplane;

import java.util.List;

/** A change that names a backend the topology does not hold. */
public final class UnknownBackend extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String id;

    public UnknownBackend(String id, List<String> known) {
        super("backend '" + id + "' is not in the topology (backends: " + String.join(", ", known) + ")", null, false, false);
        this.id = id;
    }

    public String id() {
        return id;
    }
}
