package io.dsha.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The limits the proxy derives from its machine when the operator sets none. */
class DataPathDefaultsTest {

    @Test
    void heldBodiesStayWithinHalfOfTheDirectMemoryAndAt128MiB() {
        long mib = 1L << 20;
        assertEquals(32 * mib, DataPath.defaultHeldBodyBytes(64 * mib), "a small VM: heap and direct memory 64 MB");
        assertEquals(128 * mib, DataPath.defaultHeldBodyBytes(256 * mib));
        assertEquals(128 * mib, DataPath.defaultHeldBodyBytes(6L << 30), "a big host");
    }

    @Test
    void theDirectMemoryIsTheJvmsOwnLimit() {
        // This JVM runs without -XX:MaxDirectMemorySize: its direct memory is bounded by the heap's maximum.
        assertEquals(Runtime.getRuntime().maxMemory(), DataPath.maxDirectMemory());
    }

    @Test
    void connectionsAreHalfOfWhatTheOpenFileLimitLeaves() {
        assertEquals(9_744, DataPath.defaultMaxConnections(20_000));
        assertEquals(256, DataPath.defaultMaxConnections(1_024));
        assertEquals(64, DataPath.defaultMaxConnections(600), "never fewer than 64");
        assertEquals(4_096, DataPath.defaultMaxConnections(-1), "the platform does not say");
    }
}
