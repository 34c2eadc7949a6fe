package io.dsha.proxy.follow;

import io.dsha.api.state.StateSnapshot;
import io.dsha.client.ControlPlaneClient;
import io.dsha.client.ControlPlaneFollower;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Keeps the proxy's routing with the control plane: every snapshot the {@link ControlPlaneFollower} hears
 * is adopted in one swap and saved to disk. When the control plane cannot be reached at start, the saved
 * snapshot serves until it answers; the data path never waits for it.
 */
public final class RoutingFollower {

    private static final Logger LOG = Logger.getLogger(RoutingFollower.class);

    private final Vertx vertx;
    private final RoutingState routing;
    private final SnapshotFile snapshots;
    private final ControlPlaneFollower follower;
    private volatile boolean connected;
    private boolean diskTried;

    public RoutingFollower(Vertx vertx, RoutingState routing, ControlPlaneClient client, Path stateDir) {
        this.vertx = vertx;
        this.routing = routing;
        this.snapshots = new SnapshotFile(stateDir);
        this.follower = new ControlPlaneFollower(vertx, client, ControlPlaneFollower.WATCH_TIMEOUT, s -> adopt(s, "control plane"),
                new ControlPlaneFollower.Listener() {
                    @Override
                    public void reachable(String url) {
                        RoutingFollower.this.reachable(url);
                    }

                    @Override
                    public void unreachable(String url, Throwable cause) {
                        RoutingFollower.this.unreachable(url, cause);
                    }
                });
    }

    /** Whether the last exchange with the control plane succeeded. */
    public boolean connected() {
        return connected;
    }

    public SnapshotFile snapshots() {
        return snapshots;
    }

    public void start() {
        follower.start();
    }

    public void stop() {
        follower.stop();
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

    private void startFromDisk(String url) {
        if (diskTried || routing.table() != null) {
            return;
        }
        diskTried = true;
        try {
            Optional<StateSnapshot> saved = snapshots.read();
            if (saved.isPresent()) {
                LOG.warnf("Control plane %s unreachable: serving from the saved snapshot %s (revision %d) until it answers",
                        url, snapshots.path(), saved.get().revision());
                routing.apply(saved.get(), "saved snapshot");
            } else {
                LOG.warnf("Control plane %s unreachable and no saved snapshot in %s: not ready until it answers", url,
                        snapshots.path());
            }
        } catch (IllegalStateException e) {
            LOG.error(e.getMessage());
        }
    }

    private void reachable(String url) {
        if (!connected) {
            LOG.infof("Following the control plane at %s", url);
        }
        connected = true;
    }

    private void unreachable(String url, Throwable cause) {
        if (connected) {
            LOG.warnf("Lost the control plane at %s (%s); routing stays as it is", url, cause.getMessage());
        } else {
            LOG.debugf("Control plane %s unreachable: %s", url, cause.getMessage());
        }
        connected = false;
        startFromDisk(url);
    }
}
