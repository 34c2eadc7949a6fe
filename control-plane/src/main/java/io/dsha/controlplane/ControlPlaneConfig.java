package io.dsha.controlplane;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Everything the control plane reads from configuration ({@code dsha.*}); checked at start. */
@ConfigMapping(prefix = "dsha")
public interface ControlPlaneConfig {

    /** Bearer token for changes (topology, mode, backends, failback). At least 16 characters. Or {@link #adminTokenFile()}. */
    Optional<String> adminToken();

    /** Bearer token for proxies and checkers (reports, state, watch). At least 16 characters. Or {@link #agentTokenFile()}. */
    Optional<String> agentToken();

    /**
     * A file holding the admin token (and nothing else; mode 0600), read at start instead of {@code dsha.admin-token}, so
     * the token shows neither on the command line nor in the environment. Setting both is an error. Read by
     * {@code io.dsha.api.secret.TokenFileInterceptor}, which gives {@link #adminToken()} the file's content.
     */
    Optional<String> adminTokenFile();

    /** The same for the agent token ({@code dsha.agent-token-file}). */
    Optional<String> agentTokenFile();

    /** Runs without authentication, for a local experiment only; logged loudly. */
    @WithDefault("false")
    boolean insecureDevMode();

    /**
     * Where the state is kept: {@code file} (the default: {@link #stateDir()}, one control plane on one host) or
     * {@code etcd} ({@link #etcd()}: an etcd cluster, which several control planes share).
     */
    @WithDefault("file")
    StoreKind store();

    /** The kinds of {@link #store()}. */
    enum StoreKind {
        FILE,
        ETCD,
    }

    /** The etcd cluster when {@code dsha.store=etcd}. */
    Etcd etcd();

    /** How the control plane reaches etcd ({@code dsha.etcd.*}). */
    interface Etcd {
        /** Its client URLs, comma-separated ({@code http://host:2379}, or {@code https://} with {@link #caFile()}). */
        Optional<List<String>> endpoints();

        /** The key prefix everything of this control plane lives under; starts and ends with {@code /}. */
        @WithDefault("/dsha/")
        String prefix();

        /** The CA (PEM) that signed etcd's certificate, for {@code https} endpoints. */
        Optional<String> caFile();

        /** A client certificate (PEM), when etcd asks for one ({@code --client-cert-auth}); with {@link #keyFile()}. */
        Optional<String> certFile();

        /** The client certificate's key (PEM, PKCS#8). */
        Optional<String> keyFile();

        /** How long one request to etcd may take before the next endpoint is tried, and a change fails. */
        @WithDefault("5s")
        Duration requestTimeout();

        /**
         * The leader's lease: a leader that could not renew it steps down a quarter of it before etcd could let another
         * control plane lead; a leader that dies is replaced about this long after.
         */
        @WithDefault("2s")
        Duration leaseTtl();
    }

    /** This control plane's name among several ({@code dsha.store=etcd}); the host's name and the process id when unset. */
    Optional<String> replicaId();

    /**
     * Where the other control planes reach this one's API (they forward changes to the leader); when unset,
     * {@code http://} the API's host (the machine's name when it listens on every address) and port.
     */
    Optional<String> advertiseUrl();

    /** Where the state lives ({@code state.json}, its previous copy, the lock) when {@code dsha.store=file}. */
    @WithDefault("state")
    String stateDir();

    /** A topology (YAML or JSON) that seeds an empty state directory. Ignored once state exists. */
    Optional<String> topologyFile();

    /** How many events the history keeps. */
    @WithDefault("500")
    @Min(10)
    @Max(100_000)
    int maxEvents();

    /** A checker's vote on a backend counts while it reported within this many of the backend's health-check intervals. */
    @WithDefault("3")
    @Min(1)
    @Max(100)
    int checkerLivenessIntervals();

    /** How often time-driven decisions (silent checkers, AUTO failback delays) are re-evaluated. */
    @WithDefault("100ms")
    Duration tickInterval();

    Watch watch();

    /** Long-poll settings of {@code GET /api/v1/watch}. */
    interface Watch {
        /** How long a watch waits for a change when the client does not say. */
        @WithDefault("30s")
        Duration defaultTimeout();

        /** The longest wait a client may ask for. */
        @WithDefault("300s")
        Duration maxTimeout();
    }
}
