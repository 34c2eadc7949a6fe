package io.dsha.controlplane.store;

/** A replica that no longer leads tried to write: its fence failed in etcd, and nothing was applied. */
public final class NotLeader extends RuntimeException {

    public NotLeader(String message) {
        super(message);
    }
}
