package io.dsha.health;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Everything the health service reads from configuration ({@code dsha.*}), checked at start.
 * {@code quarkus.http.port} is its own management port ({@code /q/health}, {@code /q/metrics}).
 */
@ConfigMapping(prefix = "dsha")
public interface HealthConfig {

    /**
     * Base URL of the control plane, e.g. {@code http://127.0.0.1:9470}; or several separated by commas (the
     * replicas of one control plane), tried in turn when one does not answer.
     */
    @WithName("control-plane.url")
    String controlPlaneUrl();

    /** Bearer token for the control plane (the agent token); or {@code dsha.agent-token-file}. */
    Optional<String> agentToken();

    /**
     * A file holding the agent token (and nothing else; mode 0600), read at start instead of {@code dsha.agent-token}, so
     * the token shows neither on the command line nor in the environment. Setting both is an error. Read by
     * {@code io.dsha.api.secret.TokenFileInterceptor}, which gives {@link #agentToken()} the file's content.
     */
    Optional<String> agentTokenFile();

    /** The name this checker reports under; defaults to the host name. One per vantage point. */
    Optional<String> checkerId();

    /** Trust store for certificate checks (PEM, PKCS#12 or JKS); the JVM's own trust store when not set. */
    Optional<String> trustStoreFile();

    /** Password of a PKCS#12 or JKS trust store. */
    Optional<String> trustStorePassword();

    /**
     * Where this checker reaches a backend when that differs from the topology's address (a NAT, a
     * tunnel): {@code dsha.address."a"=10.1.0.11:8080}.
     */
    Map<String, String> address();

    Certificate certificate();

    Listener listener();

    Probe probe();

    Report report();

    /** Certificate checks of TLS and HTTPS probes. */
    interface Certificate {
        /** A certificate that expires within this many days makes the backend DEGRADED. */
        @WithDefault("30")
        int warnDays();
    }

    /** The check of the proxy's own certificate (TLS termination). */
    interface Listener {
        /** Where this checker reaches the proxy's listener; by default the FQDN and the listener's port. */
        Optional<String> address();

        @WithDefault("30s")
        Duration interval();

        @WithDefault("2s")
        Duration timeout();
    }

    /** Probe scheduling. */
    interface Probe {
        /** Each interval is moved at random by up to this fraction (0.1 = ±10 %), so checks do not fire in step. */
        @WithDefault("0.1")
        double jitter();
    }

    /** Reports to the control plane. */
    interface Report {
        /** The most observations kept while the control plane is away (the newest per backend). */
        @WithDefault("1024")
        int maxPending();

        /** How long to wait before trying again after a report failed; the pause doubles while failures go on, up to 5 s. */
        @WithDefault("1s")
        Duration retryPause();

        /**
         * How often observations that tell nothing new (every backend as last reported) are sent; news (a result, a
         * view or a degradation that changed) is sent at once. Without it a checker sends a report as soon as the last one
         * is answered, and the control plane re-decides every backend for each (1,000 backends, 3 checkers: 67 reports/s
         * and two thirds of a core, bench/results/scale.md); keep it well under the backends' check interval, which the
         * control plane's liveness of a vote counts in.
         */
        @WithDefault("250ms")
        Duration routineInterval();

        /** How long one watch long-poll of the topology waits. */
        @WithDefault("30s")
        Duration watchTimeout();
    }
}
