package io.dsha.proxy.passthrough;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The binary PROXY protocol header (version 2, command PROXY, TCP) that tells a backend who the
 * client really is: source and destination address and port, and the SNI as an
 * {@code PP2_TYPE_AUTHORITY} TLV. See haproxy's doc/proxy-protocol.txt §2.2.
 */
public final class ProxyProtocolV2 {

    private static final byte[] SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    private static final byte VERSION_2_PROXY = 0x21;
    private static final byte TCP_OVER_IPV4 = 0x11;
    private static final byte TCP_OVER_IPV6 = 0x21;
    private static final byte PP2_TYPE_AUTHORITY = 0x02;

    private ProxyProtocolV2() {
    }

    /** The header for a connection from {@code source} accepted at {@code destination}. */
    public static byte[] header(InetSocketAddress source, InetSocketAddress destination, String authority) {
        InetAddress src = unmapped(source.getAddress());
        InetAddress dst = unmapped(destination.getAddress());
        boolean v4 = src instanceof Inet4Address && dst instanceof Inet4Address;
        byte[] s = v4 ? src.getAddress() : v6(src);
        byte[] d = v4 ? dst.getAddress() : v6(dst);
        byte[] tlv = authority == null ? new byte[0] : authority.getBytes(StandardCharsets.US_ASCII);
        int tlvLength = authority == null ? 0 : 3 + tlv.length;
        int addressLength = 2 * s.length + 4;
        ByteBuffer b = ByteBuffer.allocate(16 + addressLength + tlvLength);
        b.put(SIGNATURE).put(VERSION_2_PROXY).put(v4 ? TCP_OVER_IPV4 : TCP_OVER_IPV6).putShort((short) (addressLength + tlvLength));
        b.put(s).put(d).putShort((short) source.getPort()).putShort((short) destination.getPort());
        if (authority != null) {
            b.put(PP2_TYPE_AUTHORITY).putShort((short) tlv.length).put(tlv);
        }
        return b.array();
    }

    /** An IPv4 client seen through an IPv6 socket ({@code ::ffff:a.b.c.d}) is reported as IPv4. */
    private static InetAddress unmapped(InetAddress a) {
        if (a instanceof Inet6Address) {
            byte[] b = a.getAddress();
            boolean mapped = true;
            for (int i = 0; i < 10; i++) {
                mapped &= b[i] == 0;
            }
            mapped &= b[10] == (byte) 0xff && b[11] == (byte) 0xff;
            if (mapped) {
                try {
                    return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
                } catch (UnknownHostException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return a;
    }

    private static byte[] v6(InetAddress a) {
        if (a instanceof Inet6Address) {
            return a.getAddress();
        }
        byte[] v4 = a.getAddress();
        byte[] v6 = new byte[16];
        v6[10] = (byte) 0xff;
        v6[11] = (byte) 0xff;
        System.arraycopy(v4, 0, v6, 12, 4);
        return v6;
    }
}
