package io.dsha.health.report;

import io.dsha.api.report.ListenerObservation;
import io.dsha.api.report.Observation;
import io.dsha.api.report.Report;
import io.dsha.api.report.ReportReceipt;
import io.dsha.api.report.ReportSource;
import io.dsha.client.Backoff;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Sends pending observations, one report at a time, on its own thread (the send blocks; probing never waits for
 * it): news at once, observations that tell nothing new at most every {@code routineInterval} (see
 * {@link PendingObservations#await(long, long)}). A report that fails leaves the observations
 * pending (newer ones replace them) and the next attempt waits a {@link Backoff}: {@code retryPause}
 * at first, doubling while failures go on, up to {@link Backoff#MAX}. A report the control plane
 * refuses as invalid is dropped with an error in the log, since sending it again would not help.
 *
 * <p>This loop is the reporter's only fault tolerance. It used to run SmallRye {@code @Retry} and
 * {@code @CircuitBreaker} inside it: two layers of retries and pauses on the same failure, with
 * the circuit's pause on top of this loop's. The loop is the layer that cannot go, since only it
 * keeps the observations and never gives up on them; its growing pause does what the circuit did
 * (stop pressing a control plane that keeps failing), and each attempt's limit is the request's own.
 */
public final class Reporter {

    private static final Logger LOG = Logger.getLogger(Reporter.class);
    private static final int MAX_BATCH = 1024;

    /** What became of one report. */
    public interface Listener {
        void sent(int observations);

        void failed(Throwable cause);
    }

    private final PendingObservations pending;
    private final Function<Report, ReportReceipt> sender;
    private final String checkerId;
    private final ControlPlaneLink link;
    private final Listener listener;
    private final Backoff backoff;
    private final Supplier<ListenerObservation> listenerFinding;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private Thread thread;
    private final long routineNanos;

    /** {@code listenerFinding}: the latest finding about the proxy's certificate (or null), sent with every report. */
    public Reporter(PendingObservations pending, Function<Report, ReportReceipt> sender, String checkerId, ControlPlaneLink link,
            Listener listener, Duration retryPause, Duration routineInterval, Supplier<ListenerObservation> listenerFinding) {
        this.pending = Objects.requireNonNull(pending, "pending");
        this.sender = Objects.requireNonNull(sender, "sender");
        this.checkerId = Objects.requireNonNull(checkerId, "checkerId");
        this.link = Objects.requireNonNull(link, "link");
        this.listener = Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(retryPause, "retryPause");
        this.backoff = new Backoff(retryPause, retryPause.compareTo(Backoff.MAX) > 0 ? retryPause : Backoff.MAX, Backoff.JITTER,
                () -> ThreadLocalRandom.current().nextDouble());
        this.listenerFinding = Objects.requireNonNull(listenerFinding, "listenerFinding");
        this.routineNanos = Objects.requireNonNull(routineInterval, "routineInterval").toNanos();
    }

    public synchronized void start() {
        thread = new Thread(this::run, "dsha-reporter");
        thread.setDaemon(true);
        thread.start();
    }

    public void stop() {
        stopped.countDown();
        pending.wake();
        Thread t = thread;
        if (t != null) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        long lastSent = System.nanoTime() - routineNanos;
        while (stopped.getCount() > 0) {
            try {
                List<Observation> batch = pending.await(1_000, lastSent + routineNanos);
                if (batch.isEmpty()) {
                    continue;
                }
                if (batch.size() > MAX_BATCH) {
                    batch = batch.subList(0, MAX_BATCH);
                }
                lastSent = System.nanoTime();
                if (sendOne(batch)) {
                    backoff.reset();
                } else {
                    stopped.await(backoff.nextMs(), TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private boolean sendOne(List<Observation> batch) {
        try {
            sender.apply(new Report(ReportSource.CHECKER, checkerId, batch, listenerFinding.get()));
            pending.acknowledge(batch);
            link.reachable();
            listener.sent(batch.size());
            return true;
        } catch (ReportSender.ReportRefused e) {
            int status = e.status();
            listener.failed(e);
            if (status == 400 || status == 422) {
                link.reachable();
                LOG.errorf("The control plane refused a report (%d); dropping its %d observations: %s", status, batch.size(),
                        e.body());
                pending.acknowledge(batch);
                return true;
            }
            link.unreachable(new IllegalStateException("the control plane refused a report with " + status
                    + (status == 401 || status == 403 ? ": check dsha.agent-token" : ": check dsha.control-plane.url")));
            return false;
        } catch (RuntimeException e) {
            link.unreachable(e);
            listener.failed(e);
            return false;
        }
    }
}
