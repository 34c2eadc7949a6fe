package io.dsha.proxy.transport;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import org.jboss.logging.Logger;

/**
 * Makes the io_uring event loops create their rings with {@code IORING_SETUP_COOP_TASKRUN}: the
 * kernel then runs an event loop's pending completions when the loop next enters it, instead of
 * interrupting the running loop with an inter-processor interrupt for each one (src/main/c,
 * BENCHMARKS.md "io_uring without interrupts"). Done by a small JNI library of ours, built into the
 * jar, which replaces the transport's private native {@code Native.ioUringSetup} and returns ring
 * addresses in the layout of one transport version. So it is installed only where the transport on
 * the class path is that version and still has the signatures the addresses feed; otherwise, and
 * where the jar has no library for this architecture or the kernel is before 5.19, the rings are made
 * as Netty makes them and the proxy says so at start.
 */
final class RingSetup {

    /** The library as packaged, for this JVM's architecture. */
    static final String LIBRARY = "META-INF/native/libdsha_io_uring_" + System.getProperty("os.arch", "").toLowerCase(Locale.ROOT) + ".so";
    /** Where the transport's jar says its version (its manifest's is replaced in an uber-jar; this file is not). */
    static final String TRANSPORT_POM = "META-INF/maven/io.netty.incubator/netty-incubator-transport-classes-io_uring/pom.properties";
    static final String NATIVE_CLASS = "io.netty.incubator.channel.uring.Native";
    private static final String QUEUES = "io.netty.incubator.channel.uring.IOUring";
    private static final int COOP_TASKRUN = 1 << 8;
    private static final String INSTALLED = "installed";
    private static final Logger LOG = Logger.getLogger(RingSetup.class);

    private static String outcome;

    private RingSetup() {
    }

    /** Installs the ring set-up once, before the first io_uring event loop is made; never throws. */
    static synchronized void install() {
        if (outcome != null) {
            return;
        }
        outcome = tryInstall();
        // Absent is a choice made at build time, said in the start-up line; anything else is a surprise.
        if (!outcome.equals(INSTALLED) && !outcome.startsWith("absent")) {
            LOG.warn("io_uring rings are made as Netty makes them, without COOP_TASKRUN: the ring set-up was " + outcome);
        }
    }

    private static String tryInstall() {
        try (InputStream in = RingSetup.class.getClassLoader().getResourceAsStream(LIBRARY)) {
            if (in == null) {
                return "absent: " + LIBRARY + " is not in this jar (built with -Ddsha.ring-setup.skip=true, or on another architecture than "
                        + System.getProperty("os.arch") + ")";
            }
            load(in);
            // The transport's own class, with its natives already registered by Netty's library (which the
            // availability check loaded): ours replaces one of them, but only where its addresses fit.
            Class<?> nativeClass = Class.forName(NATIVE_CLASS, true, IoUringTransport.class.getClassLoader());
            String mismatch = mismatch(writtenFor(), transportVersion(nativeClass.getClassLoader()), nativeClass);
            if (mismatch != null) {
                return "refused: " + mismatch;
            }
            int rc = install(nativeClass);
            return rc == 0 ? INSTALLED : "not installed (RegisterNatives returned " + rc + ")";
        } catch (IOException | LinkageError | ReflectiveOperationException | RuntimeException e) {
            return "not installed (" + e + ")";
        }
    }

    private static void load(InputStream in) throws IOException {
        Path file = Files.createTempFile("dsha_io_uring", ".so");
        try {
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            System.load(file.toAbsolutePath().toString());
        } finally {
            // Loaded (mapped): the file is no longer needed, and nothing is left behind in the temp directory.
            Files.deleteIfExists(file);
        }
    }

    /** The transport's version as its jar says it, or {@code null} where it does not. */
    static String transportVersion(ClassLoader loader) throws IOException {
        try (InputStream in = loader.getResourceAsStream(TRANSPORT_POM)) {
            if (in == null) {
                return null;
            }
            Properties pom = new Properties();
            pom.load(in);
            return pom.getProperty("version");
        }
    }

    /**
     * Why the library's ring addresses would not fit this transport, or {@code null} when they do: its version is the
     * one the library was written for, and the methods and constructors that take or free the addresses have the
     * signatures the library fills. A bumped transport that nobody checked the C code against is refused here, at
     * start, rather than handed addresses in the wrong order.
     */
    static String mismatch(String writtenFor, String transportVersion, Class<?> nativeClass) {
        if (!writtenFor.equals(transportVersion)) {
            return "written for netty-incubator-transport-classes-io_uring " + writtenFor + ", the class path has "
                    + (transportVersion == null ? "a version that " + TRANSPORT_POM + " does not say" : transportVersion);
        }
        List<String> missing = new ArrayList<>();
        ClassLoader loader = nativeClass.getClassLoader();
        requireNative(nativeClass, "ioUringSetup", long[][].class, missing, int.class);
        requireNative(nativeClass, "ioUringExit", void.class, missing, long.class, int.class, long.class, int.class, long.class, int.class, int.class);
        // Native.createRingBuffer passes the 11 submission-queue values (and the event loop's async threshold) and the 9
        // completion-queue values to these constructors, in the order of the library's arrays.
        requireConstructor(loader, QUEUES + "SubmissionQueue", missing,
                long.class, long.class, long.class, long.class, long.class, long.class, long.class, long.class, int.class, long.class, int.class, int.class);
        requireConstructor(loader, QUEUES + "CompletionQueue", missing,
                long.class, long.class, long.class, long.class, long.class, long.class, int.class, long.class, int.class);
        return missing.isEmpty() ? null : "the transport's ring layout differs from " + transportVersion + "'s: " + String.join(", ", missing);
    }

    private static void requireNative(Class<?> type, String name, Class<?> returns, List<String> missing, Class<?>... parameters) {
        String wanted = "static native " + returns.getSimpleName() + " " + type.getSimpleName() + "." + name + signature(parameters);
        try {
            Method m = type.getDeclaredMethod(name, parameters);
            int modifiers = m.getModifiers();
            if (m.getReturnType() != returns || !Modifier.isStatic(modifiers) || !Modifier.isNative(modifiers)) {
                missing.add(wanted + " is " + m);
            }
        } catch (NoSuchMethodException e) {
            missing.add("no " + wanted);
        }
    }

    private static void requireConstructor(ClassLoader loader, String className, List<String> missing, Class<?>... parameters) {
        String wanted = className.substring(className.lastIndexOf('.') + 1) + signature(parameters);
        try {
            Class.forName(className, false, loader).getDeclaredConstructor(parameters);
        } catch (ClassNotFoundException | NoSuchMethodException e) {
            missing.add("no " + wanted);
        }
    }

    private static String signature(Class<?>... parameters) {
        List<String> names = new ArrayList<>();
        for (Class<?> p : parameters) {
            names.add(p.getSimpleName());
        }
        return "(" + String.join(", ", names) + ")";
    }

    /**
     * How the event loops' rings were made, for the start-up line: with or without COOP_TASKRUN, and
     * why not.
     */
    static synchronized String describe() {
        if (outcome == null) {
            return "";
        }
        if (!outcome.equals(INSTALLED)) {
            return "rings without COOP_TASKRUN: set-up " + outcome;
        }
        int flags = lastFlags();
        if (flags < 0) {
            return "";
        }
        return (flags & COOP_TASKRUN) != 0 ? "rings with COOP_TASKRUN"
                : "rings without COOP_TASKRUN: the kernel refused it (Linux 5.19 or later has it)";
    }

    /** The netty-incubator-transport-classes-io_uring version the library's ring layout is that of. */
    static native String writtenFor();

    private static native int install(Class<?> nativeClass);

    /** The set-up flags of the last ring made; -1 before the first. */
    private static native int lastFlags();

    /** For tests: the next ring set-up fails at this step of the library's {@code enum step} and gives back what it had made. */
    static native void failNextSetupAt(int step);

    /** For tests: the library's ring set-up called directly (after {@link #install()}); a ring made here is not freed. */
    static native long[][] setup(int entries);
}
