package io.dsha.proxy.passthrough;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.handler.codec.haproxy.HAProxyTLV;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Our header, read back by Netty's independent PROXY protocol decoder. */
class ProxyProtocolV2Test {

    private static HAProxyMessage decode(byte[] header) {
        EmbeddedChannel ch = new EmbeddedChannel(new HAProxyMessageDecoder());
        ch.writeInbound(Unpooled.wrappedBuffer(header, "after".getBytes(StandardCharsets.US_ASCII)));
        HAProxyMessage m = ch.readInbound();
        ByteBuf rest = ch.readInbound();
        assertEquals("after", rest.toString(StandardCharsets.US_ASCII), "the bytes after the header are untouched");
        rest.release();
        return m;
    }

    @Test
    void ipv4WithTheServerNameAsAuthority() {
        HAProxyMessage m = decode(ProxyProtocolV2.header(new InetSocketAddress("192.0.2.7", 51234),
                new InetSocketAddress("198.51.100.1", 443), "ds.example.com"));
        assertEquals(HAProxyProtocolVersion.V2, m.protocolVersion());
        assertEquals(HAProxyCommand.PROXY, m.command());
        assertEquals(HAProxyProxiedProtocol.TCP4, m.proxiedProtocol());
        assertEquals("192.0.2.7", m.sourceAddress());
        assertEquals(51234, m.sourcePort());
        assertEquals("198.51.100.1", m.destinationAddress());
        assertEquals(443, m.destinationPort());
        HAProxyTLV tlv = m.tlvs().get(0);
        assertEquals(HAProxyTLV.Type.PP2_TYPE_AUTHORITY, tlv.type());
        assertEquals("ds.example.com", tlv.content().toString(StandardCharsets.US_ASCII));
        m.release();
    }

    @Test
    void ipv6AndNoServerName() {
        HAProxyMessage m = decode(ProxyProtocolV2.header(new InetSocketAddress("2001:db8::7", 40000),
                new InetSocketAddress("2001:db8::1", 8443), null));
        assertEquals(HAProxyProxiedProtocol.TCP6, m.proxiedProtocol());
        assertEquals("2001:db8:0:0:0:0:0:7", m.sourceAddress());
        assertEquals(8443, m.destinationPort());
        assertEquals(0, m.tlvs().size());
        m.release();
    }

    @Test
    void anIpv4ClientSeenThroughAnIpv6SocketIsReportedAsIpv4() {
        HAProxyMessage m = decode(ProxyProtocolV2.header(new InetSocketAddress("::ffff:192.0.2.9", 1234),
                new InetSocketAddress("::ffff:192.0.2.1", 443), null));
        assertEquals(HAProxyProxiedProtocol.TCP4, m.proxiedProtocol());
        assertEquals("192.0.2.9", m.sourceAddress());
        m.release();
    }
}
