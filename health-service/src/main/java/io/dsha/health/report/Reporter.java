package io.dsha.health.report;

import io.dsha.api.report.ListenerObservation;
import io.dsha.api.report.Observation;
import io.dsha.api.report.Report;
import io.dsha.api.report.ReportReceipt;
import io.dsha.api.report.ReportSource;
import jakarta.ws.rs.ClientErrorException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Sends pending observations as soon as there are some, one report at a time, on its own thread
 * (the send blocks; probing never waits for it). A report that fails leaves the observations
 * pending (newer ones replace them) and the next attempt waits {@code retryPause}; a report the
 * control plane refuses as invalid is dropped with an error in the log, since sending it again
 * would not help.
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
    private final Duration retryPause;
    private final Supplier<ListenerObservation> listenerFinding;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private Thread thread;

    /** {@code listenerFinding}: the latest finding about the proxy's certificate (or null), sent with every report. */
    public Reporter(PendingObservations pending, Function<Report, ReportReceipt> sender, String checkerId, ControlPlaneLink link,
            Listener listener, Duration retryPause, Supplier<ListenerObservation> listenerFinding) {
        this.pending = Objects.requireNonNull(pending, "pending");
        this.sender = Objects.requireNonNull(sender, "sender");
        this.checkerId = Objects.requireNonNull(checkerId, "checkerId");
        this.link = Objects.requireNonNull(link, "link");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.retryPause = Objects.requireNonNull(retryPause, "retryPause");
        this.listenerFinding = Objects.requireNonNull(listenerFinding, "listenerFinding");
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
        while (stopped.getCount() > 0) {
            try {
                List<Observation> batch = pending.await(1_000);
                if (batch.isEmpty()) {
                    continue;
                }
                if (batch.size() > MAX_BATCH) {
                    batch = batch.subList(0, MAX_BATCH);
                }
                if (!sendOne(batch)) {
                    stopped.await(retryPause.toMillis(), TimeUnit.MILLISECONDS);
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
        } catch (ClientErrorException e) {
            int status = e.getResponse().getStatus();
            listener.failed(e);
            if (status == 400 || status == 422) {
                link.reachable();
                LOG.errorf("The control plane refused a report (%d); dropping its %d observations: %s", status, batch.size(),
                        e.getResponse().readEntity(String.class));
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
