package io.dsha.health.report;

import java.time.Instant;
import org.jboss.logging.Logger;

/**
 * Whether this checker can reach the control plane, as its last exchange (a report or a watch)
 * says; readiness reflects it. Thread-safe.
 */
public final class ControlPlaneLink {

    private static final Logger LOG = Logger.getLogger(ControlPlaneLink.class);

    private final String url;
    private volatile boolean reachable;
    private volatile boolean topologyReceived;
    private volatile String lastError = "not contacted yet";
    private volatile Instant lastContact;

    public ControlPlaneLink(String url) {
        this.url = url;
    }

    public void reachable() {
        if (!reachable) {
            LOG.infof("Control plane %s reachable", url);
        }
        reachable = true;
        lastContact = Instant.now();
    }

    public void unreachable(Throwable cause) {
        String error = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        if (reachable) {
            LOG.warnf("Lost the control plane at %s (%s); probing goes on, observations wait", url, error);
        } else if (!error.equals(lastError)) {
            // Said once per distinct reason, so a wrong token or URL is visible without flooding the log.
            LOG.warnf("Cannot use the control plane at %s: %s", url, error);
        }
        lastError = error;
        reachable = false;
    }

    public void topologyReceived() {
        topologyReceived = true;
    }

    public boolean isReachable() {
        return reachable;
    }

    public boolean hasTopology() {
        return topologyReceived;
    }

    public String lastError() {
        return lastError;
    }

    public Instant lastContact() {
        return lastContact;
    }

    public String url() {
        return url;
    }
}
