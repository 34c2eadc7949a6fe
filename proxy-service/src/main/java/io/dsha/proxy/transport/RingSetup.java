package io.dsha.proxy.transport;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Makes the io_uring event loops create their rings with {@code IORING_SETUP_COOP_TASKRUN}: the
 * kernel then runs an event loop's pending completions when the loop next enters it, instead of
 * interrupting the running loop with an inter-processor interrupt for each one (src/main/c,
 * BENCHMARKS.md "io_uring without interrupts"). Done by a small JNI library of ours, built with the
 * jar where a C compiler is at hand, which replaces the transport's ring set-up. Without it (no
 * library for this architecture, a kernel before 5.19) the rings are made as Netty makes them and the
 * proxy says so at start.
 */
final class RingSetup {

    /** The library as packaged, for this JVM's architecture. */
    static final String LIBRARY = "META-INF/native/libdsha_io_uring_" + System.getProperty("os.arch", "").toLowerCase(Locale.ROOT) + ".so";
    private static final int COOP_TASKRUN = 1 << 8;

    private static String outcome;

    private RingSetup() {
    }

    /** Installs the ring set-up once, before the first io_uring event loop is made; never throws. */
    static synchronized void install() {
        if (outcome != null) {
            return;
        }
        try (InputStream in = RingSetup.class.getClassLoader().getResourceAsStream(LIBRARY)) {
            if (in == null) {
                outcome = "not built for " + System.getProperty("os.arch") + " (" + LIBRARY + " is not in the jar)";
                return;
            }
            Path file = Files.createTempFile("dsha_io_uring", ".so");
            try {
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                System.load(file.toAbsolutePath().toString());
            } finally {
                // Loaded (mapped): the file is no longer needed, and nothing is left behind in the temp directory.
                Files.deleteIfExists(file);
            }
            // The transport's own class, with its natives already registered by Netty's library (which the
            // availability check loaded): ours replaces one of them.
            Class<?> nativeClass = Class.forName("io.netty.incubator.channel.uring.Native", true, IoUringTransport.class.getClassLoader());
            int rc = install(nativeClass);
            outcome = rc == 0 ? "installed" : "not installed (RegisterNatives returned " + rc + ")";
        } catch (IOException | LinkageError | ReflectiveOperationException | RuntimeException e) {
            outcome = "not installed (" + e + ")";
        }
    }

    /**
     * How the event loops' rings were made, for the start-up line: with or without COOP_TASKRUN, and
     * why not.
     */
    static synchronized String describe() {
        if (outcome == null) {
            return "";
        }
        if (!outcome.equals("installed")) {
            return "rings without COOP_TASKRUN: set-up " + outcome;
        }
        int flags = lastFlags();
        if (flags < 0) {
            return "";
        }
        return (flags & COOP_TASKRUN) != 0 ? "rings with COOP_TASKRUN"
                : "rings without COOP_TASKRUN: the kernel refused it (Linux 5.19 or later has it)";
    }

    private static native int install(Class<?> nativeClass);

    /** The set-up flags of the last ring made; -1 before the first. */
    private static native int lastFlags();
}
