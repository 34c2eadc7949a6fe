package io.dsha.client;

import io.dsha.api.state.StateSnapshot;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Follows the control plane's state: {@code GET /api/v1/state}, then the {@code GET /api/v1/watch}
 * long-poll from the last revision seen, handing every new snapshot to the consumer. When the control
 * plane does not answer it waits a {@link Backoff} (the client has tried every URL by then), reads the
 * whole state again and, when that state is the revision it already has, resumes watching from it
 * without handing it over twice. A state with a lower revision is not handed over at once: it comes from
 * a replica a little behind the one that failed (its etcd watch lags by milliseconds), so the follower reads
 * it again after a pause, and never goes back for it. Only a control plane that stays behind for
 * {@value #LOWER_READS_BEFORE_ACCEPTING} reads in a row (about 3 s with the standard back-off) has started
 * over (a state directory lost, a new etcd prefix): its state is then handed over, with a warning. Everything
 * runs on one Vert.x context: the consumer and the listener are called there, one at a time, and must not block.
 */
public final class ControlPlaneFollower {

    private static final Logger LOG = Logger.getLogger(ControlPlaneFollower.class);
    /** How long one watch waits at the control plane before it answers 204. */
    public static final Duration WATCH_TIMEOUT = Duration.ofSeconds(30);
    private static final long STATE_TIMEOUT_MS = 5_000;
    /** Beyond the watch's own wait, so the control plane's 204 comes before the client gives up. */
    private static final long WATCH_MARGIN_MS = 10_000;
    /** How many state reads in a row below the revision held make it a control plane that started over. */
    static final int LOWER_READS_BEFORE_ACCEPTING = 5;

    /** Hears whether the control plane answered; called on the follower's context. */
    public interface Listener {
        void reachable(String url);

        void unreachable(String url, Throwable cause);
    }

    /** Runs an action after a pause; {@link #vertx} by default, driven by hand in tests. */
    @FunctionalInterface
    public interface Timer {
        void after(long delayMs, Runnable action);

        static Timer vertx(Vertx vertx) {
            return (delayMs, action) -> vertx.setTimer(delayMs, id -> action.run());
        }
    }

    private final Vertx vertx;
    private final ControlPlaneClient client;
    private final Duration watchTimeout;
    private final Backoff backoff;
    private final Timer timer;
    private final Consumer<StateSnapshot> consumer;
    private final Listener listener;
    private volatile boolean stopped;
    private volatile long revision = -1;
    private boolean readState = true;
    private int lowerReads;
    private Context context;

    public ControlPlaneFollower(Vertx vertx, ControlPlaneClient client, Duration watchTimeout, Backoff backoff, Timer timer,
            Consumer<StateSnapshot> consumer, Listener listener) {
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        this.client = Objects.requireNonNull(client, "client");
        this.watchTimeout = Objects.requireNonNull(watchTimeout, "watchTimeout");
        this.backoff = Objects.requireNonNull(backoff, "backoff");
        this.timer = Objects.requireNonNull(timer, "timer");
        this.consumer = Objects.requireNonNull(consumer, "consumer");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** With the standard back-off and Vert.x timers. */
    public ControlPlaneFollower(Vertx vertx, ControlPlaneClient client, Duration watchTimeout, Consumer<StateSnapshot> consumer,
            Listener listener) {
        this(vertx, client, watchTimeout, Backoff.standard(), Timer.vertx(vertx), consumer, listener);
    }

    public synchronized void start() {
        if (context == null) {
            context = vertx.getOrCreateContext();
            context.runOnContext(v -> poll());
        }
    }

    /** Sends no further request; one already waiting at the control plane is left to end. */
    public void stop() {
        stopped = true;
    }

    /** The revision of the last snapshot handed over, or -1. */
    public long revision() {
        return revision;
    }

    public ControlPlaneClient client() {
        return client;
    }

    private void poll() {
        if (stopped) {
            return;
        }
        boolean state = readState;
        Future<ControlPlaneClient.Reply> reply = state ? client.get("/api/v1/state", STATE_TIMEOUT_MS)
                : client.get("/api/v1/watch?since=" + revision + "&timeoutMs=" + watchTimeout.toMillis(), watchTimeout.toMillis() + WATCH_MARGIN_MS);
        reply.map(r -> snapshot(r, state)).onComplete(ar -> {
            if (stopped) {
                return;
            }
            if (ar.failed()) {
                failed(ar.cause());
                return;
            }
            StateSnapshot s = ar.result();
            listener.reachable(client.url());
            if (state && s != null && s.revision() < revision && behind(s)) {
                return;
            }
            lowerReads = 0;
            backoff.reset();
            readState = false;
            if (s != null && (state ? s.revision() != revision : s.revision() > revision)) {
                revision = s.revision();
                try {
                    consumer.accept(s);
                } catch (RuntimeException e) {
                    // Not taken in: it comes again with the whole state after the pause.
                    revision = -1;
                    failed(e);
                    return;
                }
            }
            poll();
        });
    }

    /**
     * Whether to wait for {@code s}, a state behind the revision held, to catch up: reads it again after a pause, and
     * says so. False once it stayed behind {@value #LOWER_READS_BEFORE_ACCEPTING} reads in a row: it is handed over.
     */
    private boolean behind(StateSnapshot s) {
        if (++lowerReads < LOWER_READS_BEFORE_ACCEPTING) {
            long pause = backoff.nextMs();
            LOG.debugf("The control plane at %s is at revision %d, behind the %d held here: reading it again in %d ms", client.url(),
                    s.revision(), revision, pause);
            timer.after(pause, () -> context.runOnContext(v -> poll()));
            return true;
        }
        LOG.warnf("The control plane at %s stayed at revision %d, behind the %d held here, for %d reads: it started over "
                + "(its state lost, or another etcd prefix); following it from there", client.url(), s.revision(), revision, lowerReads);
        return false;
    }

    /** The snapshot in a 200; null for a watch's 204 (nothing new); a failure otherwise. */
    private static StateSnapshot snapshot(ControlPlaneClient.Reply r, boolean state) {
        if (r.status() == 204 && !state) {
            return null;
        }
        if (r.status() != 200) {
            throw new IllegalStateException("the control plane answered " + r);
        }
        return r.read(StateSnapshot.class);
    }

    private void failed(Throwable cause) {
        // A control plane that restarted may have a lower revision than the last seen: read the whole state again.
        readState = true;
        listener.unreachable(client.url(), cause);
        long pause = backoff.nextMs();
        LOG.debugf("Following the control plane: %s; next try in %d ms", cause.getMessage(), pause);
        timer.after(pause, () -> context.runOnContext(v -> poll()));
    }
}
