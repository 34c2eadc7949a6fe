package io.dsha.controlplane.store;

/** The state directory or its files cannot be used; the message names the file and what is wrong. */
public final class StateFileException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StateFileException(String message) {
        super(message, null, false, false);
    }

    public StateFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
