package io.dsha.etcd;

import io.vertx.core.Future;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waits for a future in a test thread. */
final class Sync {

    private Sync() {
    }

    static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The failure of {@code future}, which must fail. */
    static EtcdException failure(Future<?> future) {
        try {
            Object result = await(future);
            throw new AssertionError("expected a failure, got " + result);
        } catch (EtcdException e) {
            return e;
        }
    }

    static Bytes b(String text) {
        return Bytes.of(text);
    }
}
