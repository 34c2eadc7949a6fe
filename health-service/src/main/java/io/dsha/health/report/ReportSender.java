package io.dsha.health.report;

import io.dsha.api.report.Report;
import io.dsha.api.report.ReportReceipt;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.ClientErrorException;
import org.eclipse.microprofile.faulttolerance.CircuitBreaker;
import org.eclipse.microprofile.faulttolerance.Retry;
import org.eclipse.microprofile.faulttolerance.Timeout;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;

/**
 * Sends one report, guarded by SmallRye Fault Tolerance: each attempt has a timeout, failures are
 * retried with jitter, and a control plane that keeps failing opens the circuit so that the
 * checker stops waiting on it (the {@code Reporter} keeps the newest observations meanwhile). A
 * refusal (4xx) is neither retried nor counted against the circuit: the control plane answered.
 * Every value can be tuned with MicroProfile Fault Tolerance configuration, e.g.
 * {@code io.dsha.health.report.ReportSender/send/CircuitBreaker/delay=5000}.
 */
@ApplicationScoped
public class ReportSender {

    private final ControlPlaneClients clients;

    ReportSender(ControlPlaneClients clients) {
        this.clients = clients;
    }

    @Timeout(2000)
    @Retry(maxRetries = 2, delay = 200, jitter = 150, abortOn = {ClientErrorException.class, CircuitBreakerOpenException.class})
    @CircuitBreaker(requestVolumeThreshold = 4, failureRatio = 0.75, delay = 3000, successThreshold = 1, skipOn = ClientErrorException.class)
    public ReportReceipt send(Report report) {
        return clients.reports().report(report);
    }
}
