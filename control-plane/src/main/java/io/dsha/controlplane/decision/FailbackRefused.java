package io.dsha.controlplane.decision;

/** An operator asked for a failback that cannot happen now; the message says why. */
public final class FailbackRefused extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public FailbackRefused(String message) {
        super(message, null, false, false);
    }
}
