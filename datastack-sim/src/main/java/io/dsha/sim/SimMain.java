package io.dsha.sim;

import io.dsha.sim.DataStackSim.SimSettings;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Runs one simulated instance ({@code sim.instances}: several) until stopped. Prints
 * {@code datastack-sim NAME listening on SCHEME://HOST:PORT} once each is bound, the line the launcher and the tests wait for.
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
        int count = config.instances();
        List<DataStackSim> sims = new ArrayList<>(count);
        for (int i = 1; i <= count; i++) {
            SimSettings one = settings.instance(i, count);
            DataStackSim sim = new DataStackSim(vertx, one);
            sims.add(sim);
            int port = sim.start().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            LOG.infof("datastack-sim %s listening on %s://%s:%d", one.name(), sim.scheme(), config.host(), port);
        }
        Quarkus.waitForExit();
        for (DataStackSim sim : sims) {
            sim.stop().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        return 0;
    }
}
