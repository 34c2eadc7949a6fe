package io.dsha.proxy.transport;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ServerChannel;
import io.netty.resolver.AddressResolverGroup;
import io.vertx.core.Vertx;
import io.vertx.core.impl.VertxInternal;
import io.vertx.core.net.NetServerOptions;
import java.net.InetSocketAddress;
import java.util.Locale;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Which kernel interface carries the proxy's sockets, as chosen by {@code dsha.transport}:
 * {@code auto} (io_uring where the kernel allows it, else epoll), {@code io_uring} (refused at start
 * where it is not available) or {@code epoll} (never io_uring). Vert.x falls back to Java NIO where
 * neither loads (not Linux).
 *
 * <p>This is also the one place of the proxy that reaches into Vert.x's internals ({@link VertxInternal}): the
 * data listeners and their backend connections are plain Netty on Vert.x's event loops, because Vert.x's public
 * {@code NetServer} and {@code NetClient} give no supported way to own a connection's pipeline, and plain Netty
 * needs what Vert.x runs on: the transport's channel factories and socket options, and its address resolver
 * (small static methods below, so that the listeners themselves use public API only).
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

    /** Makes client (backend) sockets on Vert.x's transport: epoll, io_uring or NIO, as Vert.x's own. */
    public static ChannelFactory<? extends Channel> channelFactory(Vertx vertx) {
        return ((VertxInternal) vertx).transport().channelFactory(false);
    }

    /** Makes listening sockets on Vert.x's transport, for channels registered on Vert.x's event loops. */
    public static ChannelFactory<? extends ServerChannel> serverChannelFactory(Vertx vertx) {
        return ((VertxInternal) vertx).transport().serverChannelFactory(false);
    }

    /**
     * Sets the socket options of {@code options} on a listening socket and its accepted ones as Vert.x's
     * {@code NetServer} does with them, including the transport's own (epoll's and io_uring's SO_REUSEPORT,
     * TCP_QUICKACK, TCP_CORK).
     */
    public static void configure(Vertx vertx, NetServerOptions options, ServerBootstrap bootstrap) {
        ((VertxInternal) vertx).transport().configure(options, false, bootstrap);
    }

    /** Vert.x's name resolver (its DNS settings and hosts file), for Netty bootstraps. */
    public static AddressResolverGroup<InetSocketAddress> resolver(Vertx vertx) {
        return ((VertxInternal) vertx).nettyAddressResolverGroup();
    }

    /**
     * Advice about a restart beside this proxy (SO_REUSEPORT), when Linux would reset the connections waiting in this
     * listener's queue as it closes ({@code net.ipv4.tcp_migrate_req=0}); empty when they move to the new listener
     * or the setting does not exist here.
     */
    public static java.util.Optional<String> reusePortAdvice() {
        java.nio.file.Path knob = java.nio.file.Path.of("/proc/sys/net/ipv4/tcp_migrate_req");
        try {
            if (java.nio.file.Files.isReadable(knob) && java.nio.file.Files.readString(knob).trim().equals("0")) {
                return java.util.Optional.of("net.ipv4.tcp_migrate_req is 0: when this proxy stops listening (a restart beside it), "
                        + "connections still in its accept queue are reset instead of moving to the new proxy; "
                        + "sysctl -w net.ipv4.tcp_migrate_req=1 makes such a restart drop nothing");
            }
        } catch (java.io.IOException e) {
            // not Linux, or not readable: nothing to advise
        }
        return java.util.Optional.empty();
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

    /**
     * Makes a listening socket refuse connections at once; call it on the channel's event loop before closing it. On
     * io_uring the accept in flight holds the socket open past its close (the kernel's reference of an operation in
     * flight): it keeps listening until one more connection comes, for nothing to take it, and the close does not
     * complete until then. Shutting its input down (what io_uring's authors advise) stops it listening and ends that
     * accept. Elsewhere the close that follows does it alone.
     */
    public static void stopListening(io.netty.channel.Channel channel) {
        if (channel instanceof io.netty.channel.unix.UnixChannel unix && unix.fd() instanceof io.netty.channel.unix.Socket socket
                && socket.isOpen()) {
            try {
                socket.shutdown(true, false);
            } catch (java.io.IOException e) {
                org.jboss.logging.Logger.getLogger(Transports.class).debugf("Shutting the listening socket down before closing it: %s", e);
            }
        }
    }
}
