package io.dsha.proxy.transport;

import io.dsha.testkit.Prerequisite;
import io.netty.incubator.channel.uring.IOUring;

/**
 * What the io_uring tests need of this machine: a kernel that lets this process make rings (a container's default
 * seccomp profile does not), and the ring set-up library built with the module (unless -Ddsha.ring-setup.skip=true).
 */
public final class IoUringHere {

    private IoUringHere() {
    }

    /** Skips the test, or fails it where every test is required ({@link Prerequisite}), unless both are here. */
    public static void require() {
        boolean available = IOUring.isAvailable();
        Prerequisite.require(available, "io_uring, which this machine refuses" + (available ? "" : " (" + IOUring.unavailabilityCause() + ")"),
                "Linux 5.19+ with kernel.io_uring_disabled=0; in a container, a seccomp profile that allows io_uring_setup, "
                        + "io_uring_enter and io_uring_register (e.g. podman run --security-opt seccomp=unconfined)");
        requireLibrary();
    }

    /** Skips the test, or fails it where every test is required, unless the jar has the ring set-up library. */
    public static void requireLibrary() {
        Prerequisite.require(RingSetup.class.getClassLoader().getResource(RingSetup.LIBRARY) != null,
                "the ring set-up library " + RingSetup.LIBRARY + ", which this build left out (-Ddsha.ring-setup.skip=true)",
                "build proxy-service without -Ddsha.ring-setup.skip=true (it needs gcc libc6-dev linux-libc-dev)");
    }
}
