package io.dsha.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Callers on every kind of thread get whole answers: a Vert.x worker (a Quarkus REST endpoint writing the state), an
 * event loop, a plain thread.
 */
class EtcdCallersTest {

    @RegisterExtension
    static final EtcdFixture etcd = new EtcdFixture(1, EtcdOptions.DEFAULT_REQUEST_TIMEOUT);

    private static final int CALLS = 400;

    /**
     * A control plane writing its state from worker threads once got, now and then, etcd's 200 read as an empty body
     * ("not a JSON object") and answered 503 for a change etcd may have applied (bench/propagation.sh --store etcd).
     */
    @Test
    void callsFromWorkerThreadsAllGetTheirAnswers() throws Exception {
        List<String> wrong = Collections.synchronizedList(new ArrayList<>());
        List<CompletableFuture<Void>> callers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int caller = t;
            CompletableFuture<Void> done = new CompletableFuture<>();
            callers.add(done);
            etcd.vertx.executeBlocking(() -> {
                for (int i = 0; i < CALLS; i++) {
                    try {
                        etcd.client.put(Bytes.of("/callers/" + caller), Bytes.of("value " + i)).toCompletionStage().toCompletableFuture()
                                .get(10, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        wrong.add(e.toString());
                    }
                }
                return null;
            }, false).onComplete(ar -> done.complete(null));
        }
        CompletableFuture.allOf(callers.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        assertEquals(List.of(), wrong.stream().limit(5).toList(), wrong.size() + " of " + 4 * CALLS + " calls failed");
    }
}
