package io.dsha.testkit.etcd;

import io.dsha.etcdproc.EtcdCluster;
import io.dsha.testkit.Prerequisite;
import java.util.Optional;

/**
 * The launcher's {@link EtcdCluster} for a test: in a temporary directory, deleted on close; where etcd is not installed
 * the test is skipped, or fails under {@code DSHA_REQUIRE_ALL_TESTS=1} as in CI ({@link Prerequisite}), saying how to
 * install it.
 */
public final class TestEtcd {

    private TestEtcd() {
    }

    /** Skips the test (fails it under {@code DSHA_REQUIRE_ALL_TESTS=1}) where etcd is not installed. */
    public static void require() {
        Prerequisite.require(EtcdCluster.etcd().isPresent(), EtcdCluster.WHAT, EtcdCluster.HOW_TO_GET);
    }

    /** {@code size} members over plain HTTP. */
    public static EtcdCluster start(int size) {
        return start(size, Optional.empty());
    }

    public static EtcdCluster start(int size, Optional<EtcdCluster.Tls> tls) {
        require();
        return EtcdCluster.start(size, tls);
    }
}
