package io.dsha.proxy.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import io.netty.incubator.channel.uring.IOUring;
import io.netty.incubator.channel.uring.IOUringChannelOption;
import io.netty.incubator.channel.uring.IOUringDatagramChannel;
import io.netty.incubator.channel.uring.IOUringEventLoopGroup;
import io.netty.incubator.channel.uring.IOUringServerSocketChannel;
import io.netty.incubator.channel.uring.IOUringSocketChannel;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.net.ClientOptionsBase;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.transport.Transport;
import java.util.concurrent.ThreadFactory;

/**
 * Vert.x on Linux's io_uring (Netty's incubator transport) instead of epoll, for every socket of the
 * proxy. With epoll each request costs four system calls (read and write on the client's side and on
 * the backend's); io_uring hands the kernel the reads and writes of a whole event-loop round in one
 * call. Where a system call is expensive (a virtual machine) that is most of the difference between
 * us and HAProxy: BENCHMARKS.md, "io_uring".
 *
 * <p>Found by Vert.x through {@code META-INF/services} and used when {@link #isAvailable()}: the
 * setting {@code dsha.transport} is {@code auto} or {@code io_uring}, this is not a native image, and
 * the kernel allows io_uring (5.9 or later, not disabled by {@code kernel.io_uring_disabled} or a
 * seccomp profile such as Docker's default one). Otherwise Vert.x takes epoll as before.
 */
public final class IoUringTransport implements Transport {

    @Override
    public boolean isAvailable() {
        return unavailabilityCause() == null;
    }

    @Override
    public Throwable unavailabilityCause() {
        if (!Transports.ioUringWanted()) {
            return new UnsupportedOperationException("dsha.transport=" + Transports.setting());
        }
        if (Transports.inNativeImage()) {
            return new UnsupportedOperationException("not available in the native executable");
        }
        try {
            return IOUring.unavailabilityCause();
        } catch (Throwable e) {
            // The native library did not load: another architecture or libc.
            return e;
        }
    }

    @Override
    public boolean supportsDomainSockets() {
        return false;
    }

    @Override
    public java.net.SocketAddress convert(SocketAddress address) {
        refuseDomainSocket(address.isDomainSocket());
        return Transport.super.convert(address);
    }

    @Override
    public EventLoopGroup eventLoopGroup(int type, int threads, ThreadFactory factory, int ioRatio) {
        RingSetup.install();
        return new IOUringEventLoopGroup(threads, factory);
    }

    @Override
    public DatagramChannel datagramChannel() {
        return new IOUringDatagramChannel();
    }

    @Override
    public DatagramChannel datagramChannel(InternetProtocolFamily family) {
        return new IOUringDatagramChannel();
    }

    @Override
    public ChannelFactory<? extends Channel> channelFactory(boolean domainSocket) {
        refuseDomainSocket(domainSocket);
        return IOUringSocketChannel::new;
    }

    @Override
    public ChannelFactory<? extends ServerChannel> serverChannelFactory(boolean domainSocket) {
        refuseDomainSocket(domainSocket);
        return IOUringServerSocketChannel::new;
    }

    @Override
    public void configure(DatagramChannel channel, DatagramSocketOptions options) {
        channel.config().setOption(IOUringChannelOption.SO_REUSEPORT, options.isReusePort());
        Transport.super.configure(channel, options);
    }

    @Override
    public void configure(NetServerOptions options, boolean domainSocket, ServerBootstrap bootstrap) {
        refuseDomainSocket(domainSocket);
        bootstrap.option(IOUringChannelOption.SO_REUSEPORT, options.isReusePort());
        if (options.isTcpFastOpen()) {
            bootstrap.option(IOUringChannelOption.TCP_FASTOPEN, 256);
        }
        bootstrap.childOption(IOUringChannelOption.TCP_QUICKACK, options.isTcpQuickAck());
        bootstrap.childOption(IOUringChannelOption.TCP_CORK, options.isTcpCork());
        Transport.super.configure(options, false, bootstrap);
    }

    @Override
    public void configure(ClientOptionsBase options, boolean domainSocket, Bootstrap bootstrap) {
        refuseDomainSocket(domainSocket);
        if (options.isTcpFastOpen()) {
            bootstrap.option(IOUringChannelOption.TCP_FASTOPEN_CONNECT, true);
        }
        bootstrap.option(IOUringChannelOption.TCP_QUICKACK, options.isTcpQuickAck());
        bootstrap.option(IOUringChannelOption.TCP_CORK, options.isTcpCork());
        Transport.super.configure(options, false, bootstrap);
    }

    private static void refuseDomainSocket(boolean domainSocket) {
        if (domainSocket) {
            throw new IllegalArgumentException("Unix domain sockets are not supported on io_uring (dsha.transport=epoll supports them)");
        }
    }
}
