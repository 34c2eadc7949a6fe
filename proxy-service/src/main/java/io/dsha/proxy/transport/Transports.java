package io.dsha.proxy.transport;

import io.vertx.core.Vertx;
import io.vertx.core.impl.VertxInternal;
import java.util.Locale;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Which kernel interface carries the proxy's sockets, as chosen by {@code dsha.transport}:
 * {@code auto} (io_uring where the kernel allows it, else epoll), {@code io_uring} (refused at start
 * where it is not available) or {@code epoll} (never io_uring). Vert.x falls back to Java NIO where
 * neither loads (not Linux).
 */
public final class Transports {

    public static final String AUTO = "auto";
    public static final String IO_URING = "io_uring";
    public static final String EPOLL = "epoll";

    private Transports() {
    }

    /** The {@code dsha.transport} setting, lower case ({@code auto} when unset). */
    static String setting() {
        return ConfigProvider.getConfig().getOptionalValue("dsha.transport", String.class).orElse(AUTO).trim().toLowerCase(Locale.ROOT);
    }

    static boolean ioUringWanted() {
        String s = setting();
        return s.equals(AUTO) || s.equals(IO_URING);
    }

    static boolean inNativeImage() {
        return "runtime".equals(System.getProperty("org.graalvm.nativeimage.imagecode"));
    }

    /** What Vert.x runs on: {@code io_uring}, {@code epoll}, {@code kqueue} or {@code nio}. */
    public static String inUse(Vertx vertx) {
        Object transport = ((VertxInternal) vertx).transport();
        if (transport instanceof IoUringTransport) {
            return IO_URING;
        }
        // Vert.x's own transports, by name: referring to their classes would load them, and kqueue's needs
        // Netty's kqueue classes, which a Linux build does not carry.
        String name = transport.getClass().getSimpleName();
        if (name.startsWith("Epoll")) {
            return EPOLL;
        }
        if (name.startsWith("KQueue")) {
            return "kqueue";
        }
        return "nio";
    }

    /**
     * Checks that what runs is what was asked for, and says so: the reason io_uring was not taken
     * under {@code auto}; an error (the proxy does not start) when {@code io_uring} was required and
     * is not there.
     *
     * @return the line to log at start
     */
    public static String check(Vertx vertx, String setting) {
        String used = inUse(vertx);
        String wanted = setting.toLowerCase(Locale.ROOT);
        Throwable why = used.equals(IO_URING) || wanted.equals(EPOLL) ? null : new IoUringTransport().unavailabilityCause();
        String reason = why == null ? "" : " (io_uring is not available: " + (why.getMessage() == null ? why.toString() : why.getMessage()) + ")";
        if (wanted.equals(IO_URING) && !used.equals(IO_URING)) {
            throw new IllegalStateException("dsha.transport=io_uring, but the sockets run on " + used + reason
                    + "; set dsha.transport=auto or epoll to start anyway");
        }
        String rings = used.equals(IO_URING) ? RingSetup.describe() : "";
        return "Sockets run on " + used + " (dsha.transport=" + wanted + ")" + reason + (rings.isEmpty() ? "" : "; " + rings);
    }
}
