package io.dsha.proxy.follow;

import io.dsha.api.json.DshaJson;
import io.dsha.api.state.StateSnapshot;
import io.dsha.proxy.ProxyConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Follows the control plane: {@code GET /api/v1/state} at start, then long-polls
 * {@code /api/v1/watch} for every new revision, adopting each snapshot in one swap and saving it to
 * disk. When the control plane cannot be reached it starts from the saved snapshot and keeps
 * trying; the data path never waits for it.
 */
public final class ControlPlaneFollower {

    private static final Logger LOG = Logger.getLogger(ControlPlaneFollower.class);
    private static final long WATCH_TIMEOUT_MS = 30_000;
    private static final long MIN_BACKOFF_MS = 250;
    private static final long MAX_BACKOFF_MS = 5_000;

    private final Vertx vertx;
    private final RoutingState routing;
    private final ControlPlaneClient client;
    private final SnapshotFile snapshots;
    private final AtomicBoolean stopped = new AtomicBoolean();
    private volatile boolean connected;
    private long backoffMs = MIN_BACKOFF_MS;
    private boolean diskTried;

    public ControlPlaneFollower(Vertx vertx, RoutingState routing, ControlPlaneClient client, ProxyConfig config) {
        this.vertx = vertx;
        this.routing = routing;
        this.client = client;
        this.snapshots = new SnapshotFile(Path.of(config.stateDir()));
    }

    /** Whether the last exchange with the control plane succeeded. */
    public boolean connected() {
        return connected;
    }

    public SnapshotFile snapshots() {
        return snapshots;
    }

    public void start() {
        fetchState();
    }

    public void stop() {
        stopped.set(true);
    }

    private void fetchState() {
        if (stopped.get()) {
            return;
        }
        client.get("/api/v1/state", 5_000).compose(this::snapshot).onComplete(ar -> {
            if (ar.succeeded()) {
                reachable();
                adopt(ar.result(), "control plane");
                watch(ar.result().revision());
            } else {
                unreachable(ar.cause());
                startFromDisk();
                retry(this::fetchState);
            }
        });
    }

    private void watch(long since) {
        if (stopped.get()) {
            return;
        }
        client.get("/api/v1/watch?since=" + since + "&timeoutMs=" + WATCH_TIMEOUT_MS, WATCH_TIMEOUT_MS + 10_000).onComplete(ar -> {
            if (ar.failed()) {
                unreachable(ar.cause());
                retry(this::fetchState);
                return;
            }
            ControlPlaneClient.Reply reply = ar.result();
            if (reply.status() == 204) {
                reachable();
                watch(since);
                return;
            }
            snapshot(reply).onComplete(s -> {
                if (s.failed()) {
                    unreachable(s.cause());
                    retry(this::fetchState);
                } else {
                    reachable();
                    adopt(s.result(), "control plane");
                    watch(Math.max(since, s.result().revision()));
                }
            });
        });
    }

    private Future<StateSnapshot> snapshot(ControlPlaneClient.Reply reply) {
        if (reply.status() != 200) {
            return Future.failedFuture("control plane answered " + reply.status() + ": " + reply.body());
        }
        try {
            return Future.succeededFuture(DshaJson.readTolerant(reply.body().getBytes(), StateSnapshot.class));
        } catch (Exception e) {
            return Future.failedFuture(new IllegalStateException("unreadable state from the control plane: " + e.getMessage(), e));
        }
    }

    private void adopt(StateSnapshot s, String source) {
        if (routing.apply(s, source)) {
            LOG.infof("Adopted revision %d (topology revision %d) from the %s", s.revision(), s.topologyRevision(), source);
            vertx.executeBlocking(() -> {
                snapshots.write(s);
                return null;
            }, false).onFailure(e -> LOG.warnf("Could not save the snapshot to %s: %s", snapshots.path(), e.getMessage()));
        }
    }

    private void startFromDisk() {
        if (diskTried || routing.table() != null) {
            return;
        }
        diskTried = true;
        try {
            Optional<StateSnapshot> saved = snapshots.read();
            if (saved.isPresent()) {
                LOG.warnf("Control plane %s unreachable: serving from the saved snapshot %s (revision %d) until it answers",
                        client.url(), snapshots.path(), saved.get().revision());
                routing.apply(saved.get(), "saved snapshot");
            } else {
                LOG.warnf("Control plane %s unreachable and no saved snapshot in %s: not ready until it answers", client.url(),
                        snapshots.path());
            }
        } catch (IllegalStateException e) {
            LOG.error(e.getMessage());
        }
    }

    private void reachable() {
        if (!connected) {
            LOG.infof("Following the control plane at %s", client.url());
        }
        connected = true;
        backoffMs = MIN_BACKOFF_MS;
    }

    private void unreachable(Throwable cause) {
        if (connected) {
            LOG.warnf("Lost the control plane at %s (%s); routing stays as it is", client.url(), cause.getMessage());
        } else {
            LOG.debugf("Control plane %s unreachable: %s", client.url(), cause.getMessage());
        }
        connected = false;
    }

    private void retry(Runnable action) {
        if (stopped.get()) {
            return;
        }
        long delay = backoffMs;
        backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
        vertx.setTimer(delay, id -> action.run());
    }
}
