package io.dsha.health.follow;

import io.dsha.api.json.DshaJson;
import io.dsha.api.state.StateSnapshot;
import io.dsha.health.report.ControlPlaneApi;
import io.dsha.health.report.ControlPlaneLink;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Follows the control plane's state: {@code GET /api/v1/state} once, then the
 * {@code /api/v1/watch} long-poll for each new revision, handing every snapshot to the consumer.
 * One thread, blocked in the long-poll most of the time; when the control plane is away it tries
 * again with a growing pause (up to 5 s) and the checker goes on with the topology it has.
 */
public final class TopologyFollower {

    private static final Logger LOG = Logger.getLogger(TopologyFollower.class);
    private static final long MIN_PAUSE_MS = 250;
    private static final long MAX_PAUSE_MS = 5_000;

    private final ControlPlaneApi api;
    private final ControlPlaneLink link;
    private final Duration watchTimeout;
    private final Consumer<StateSnapshot> consumer;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private Thread thread;

    public TopologyFollower(ControlPlaneApi api, ControlPlaneLink link, Duration watchTimeout, Consumer<StateSnapshot> consumer) {
        this.api = Objects.requireNonNull(api, "api");
        this.link = Objects.requireNonNull(link, "link");
        this.watchTimeout = Objects.requireNonNull(watchTimeout, "watchTimeout");
        this.consumer = Objects.requireNonNull(consumer, "consumer");
    }

    public synchronized void start() {
        thread = new Thread(this::run, "dsha-topology-follower");
        thread.setDaemon(true);
        thread.start();
    }

    public void stop() {
        stopped.countDown();
        Thread t = thread;
        if (t != null) {
            // Unblocks a pending long-poll.
            t.interrupt();
        }
    }

    private void run() {
        long revision = -1;
        long pause = MIN_PAUSE_MS;
        while (stopped.getCount() > 0) {
            try (Response r = revision < 0 ? api.state() : api.watch(revision, watchTimeout.toMillis())) {
                link.reachable();
                pause = MIN_PAUSE_MS;
                if (r.getStatus() == 204) {
                    continue;
                }
                if (r.getStatus() != 200) {
                    throw new IllegalStateException("the control plane answered " + r.getStatus());
                }
                StateSnapshot s = DshaJson.readTolerant(r.readEntity(byte[].class), StateSnapshot.class);
                if (s.revision() > revision) {
                    revision = s.revision();
                    consumer.accept(s);
                }
            } catch (Exception e) {
                if (stopped.getCount() == 0) {
                    return;
                }
                link.unreachable(e);
                LOG.debugf("Watch failed: %s", e.getMessage());
                // A restarted control plane may have a lower revision: start over from the full state.
                revision = -1;
                try {
                    stopped.await(pause, TimeUnit.MILLISECONDS);
                } catch (InterruptedException ie) {
                    return;
                }
                pause = Math.min(MAX_PAUSE_MS, pause * 2);
            }
        }
    }
}
