package io.dsha.sim;

import io.dsha.sim.DataStackSim.SimSettings;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Runs one simulated instance until stopped. Prints {@code datastack-sim NAME listening on SCHEME://HOST:PORT}
 * once bound, the line the launcher and the tests wait for.
 */
@QuarkusMain
public final class SimMain implements QuarkusApplication {

    private static final Logger LOG = Logger.getLogger(SimMain.class);

    @Inject
    Vertx vertx;

    @Inject
    SimConfig config;

    @Override
    public int run(String... args) throws Exception {
        SimSettings settings = new SimSettings(config.name(), config.host(), config.port(),
                config.tls().keystoreFile().map(Path::of), config.tls().keystorePassword().orElse(""),
                config.feedInterval().isZero() ? OptionalLong.empty() : OptionalLong.of(config.feedInterval().toMillis()),
                config.journalFile().map(Path::of));
        DataStackSim sim = new DataStackSim(vertx, settings);
        int port = sim.start().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        LOG.infof("datastack-sim %s listening on %s://%s:%d", config.name(), sim.scheme(), config.host(), port);
        Quarkus.waitForExit();
        sim.stop().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        return 0;
    }
}
