package io.dsha.proxy.support;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/** Real ClientHellos, made by the JDK's own TLS engine. */
public final class ClientHellos {

    private ClientHellos() {
    }

    /** The first flight of a JDK client for {@code serverName} (null: no SNI), limited to {@code protocols} if any. */
    public static byte[] clientHello(String serverName, String... protocols) {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, null, null);
            SSLEngine engine = ctx.createSSLEngine();
            engine.setUseClientMode(true);
            SSLParameters p = engine.getSSLParameters();
            p.setServerNames(serverName == null ? List.of() : List.of(new SNIHostName(serverName)));
            if (protocols.length > 0) {
                p.setProtocols(protocols);
            }
            engine.setSSLParameters(p);
            ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
            engine.wrap(ByteBuffer.allocate(0), out);
            return Arrays.copyOf(out.array(), out.position());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
