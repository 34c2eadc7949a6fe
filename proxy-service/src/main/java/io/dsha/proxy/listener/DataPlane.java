package io.dsha.proxy.listener;

import io.dsha.proxy.balance.Target;
import io.dsha.proxy.config.ProxyConfig;
import io.dsha.proxy.follow.RoutingState;
import io.dsha.proxy.ops.ProxyMetrics;

/**
 * What every data listener shares, whichever kind it is (the HTTP proxy or the TCP relay of TLS passthrough):
 * admission of client connections within the limit, the routing in force, local ejection of a backend that failed
 * on traffic, the in-flight count graceful shutdown waits for, and the metrics. The HTTP side's own state (body
 * limits, deadlines) stays in {@code http.DataPath}, which implements this.
 */
public interface DataPlane {

    ProxyMetrics metrics();

    /** The access log, or null when it is off. */
    io.dsha.proxy.ops.AccessLog accessLog();

    /** Counts a newly accepted client connection in, or says it is one too many; an admitted one is {@link #released}. */
    boolean admit();

    void released();

    RoutingState routing();

    ProxyConfig.BalancePolicy policy();

    int maxAttempts();

    long connectTimeoutMs();

    /** A connection or request is now in flight; graceful shutdown waits for it until {@link #end}. */
    void begin();

    void end();

    /** Shutting down, and past {@code dsha.shutdown.delay}: a connection accepted now is turned away. */
    boolean turningAway();

    /**
     * A connection to {@code target} could not be made: false when the cause is this process's own exhaustion (out
     * of file descriptors; the backend is not at fault), otherwise the backend is set aside and true returned.
     */
    boolean connectFailed(Target target, String reason, Throwable cause);
}
