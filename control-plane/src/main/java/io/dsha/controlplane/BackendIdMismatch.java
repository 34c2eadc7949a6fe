package io.dsha.controlplane;

/** A backend put whose body names another id than the one it is put at. */
public final class BackendIdMismatch extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String pathId;
    private final String bodyId;

    public BackendIdMismatch(String pathId, String bodyId) {
        super("the body's id does not match the path", null, false, false);
        this.pathId = pathId;
        this.bodyId = bodyId;
    }

    public String pathId() {
        return pathId;
    }

    public String bodyId() {
        return bodyId;
    }
}
