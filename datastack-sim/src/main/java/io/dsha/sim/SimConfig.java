package io.dsha.sim;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** The simulated instance's settings ({@code -Dsim.x=...} or {@code SIM_X=...}). */
@ConfigMapping(prefix = "sim")
public interface SimConfig {

    /** The instance's name, in every answer. */
    @WithDefault("sim")
    String name();

    @WithDefault("127.0.0.1")
    String host();

    /** 0: a free port, printed once bound. */
    @WithDefault("0")
    int port();

    /**
     * How many simulated instances this process serves, each on its own port with its own state, named
     * {@code name-1..name-N} (ports {@code port..port+N-1}, or each a free one when the port is 0): a big site's
     * backends for benchmarks at the cost of one JVM. 1: the instance is named {@code name}.
     */
    @WithDefault("1")
    int instances();

    /** Records made up every interval, as the data sources feeding every instance would (0: none). */
    @WithDefault("0s")
    Duration feedInterval();

    /** Where ingested record ids are journaled (forced to disk before the 201), read back at start; none: memory only. */
    Optional<String> journalFile();

    Tls tls();

    /** HTTPS with a PKCS#12 key store; plain HTTP without one. */
    interface Tls {
        Optional<String> keystoreFile();

        Optional<String> keystorePassword();
    }
}
