package io.dsha.controlplane.api;

import io.dsha.testkit.Tmpfs;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The control plane under test with its state directory on a small tmpfs of its own, which a test can
 * fill up ({@link #disk}). Without root nothing is mounted, {@link #disk} stays null and the tests
 * that need it say so ({@link Tmpfs#requireRoot()}). Started after {@link ControlPlaneUnderTest}, so its state directory wins.
 */
public class FullDisk implements QuarkusTestResourceLifecycleManager {

    static volatile Tmpfs disk;

    @Override
    public Map<String, String> start() {
        if (!Tmpfs.root()) {
            return Map.of();
        }
        try {
            disk = Tmpfs.mount(Files.createTempDirectory("dsha-cp-full-disk-"), 512);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // No decision ticks: nothing but the test's own requests writes to the disk.
        return Map.of("dsha.state-dir", disk.dir().resolve("state").toString(), "dsha.tick-interval", "1h");
    }

    @Override
    public int order() {
        return 100;
    }

    @Override
    public void stop() {
        Tmpfs d = disk;
        if (d != null) {
            disk = null;
            d.close();
            try {
                Files.deleteIfExists(d.dir());
            } catch (IOException e) {
                // an empty temp directory left behind
            }
        }
    }

    static Path stateDir() {
        return disk.dir().resolve("state");
    }
}
