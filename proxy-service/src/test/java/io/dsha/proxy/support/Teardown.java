package io.dsha.proxy.support;

import io.vertx.core.Vertx;

/** Stops what a test started, in the order given, skipping what was never started. */
public final class Teardown {

    private Teardown() {
    }

    /** Each part is an {@link AutoCloseable} (processes, backends) or a {@link Vertx}; nulls are skipped. */
    public static void close(Object... parts) {
        for (Object part : parts) {
            try {
                if (part instanceof Vertx v) {
                    v.close().toCompletionStage().toCompletableFuture().join();
                } else if (part instanceof AutoCloseable c) {
                    c.close();
                }
            } catch (Exception e) {
                throw new IllegalStateException("could not stop " + part, e);
            }
        }
    }
}
