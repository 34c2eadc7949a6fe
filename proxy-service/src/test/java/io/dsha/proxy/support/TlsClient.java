package io.dsha.proxy.support;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * An HTTPS client as strict as a device's: trusts only the test CA, checks the server's
 * certificate against the name it asked for, and speaks HTTP/1.1 with keep-alive over one
 * connection. It connects to the proxy's address but asks for {@code serverName} in its SNI, the
 * way a client resolving the FQDN to the balancer would.
 */
public final class TlsClient implements AutoCloseable {

    /** A response: status, body, and whether it said {@code Connection: close}. */
    public record Response(int status, byte[] body, boolean closing) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final SSLSocket socket;
    private final InputStream in;
    private final OutputStream out;

    private TlsClient(SSLSocket socket) throws IOException {
        this.socket = socket;
        this.in = new java.io.BufferedInputStream(socket.getInputStream(), 64 * 1024);
        this.out = socket.getOutputStream();
    }

    /** Connects to {@code 127.0.0.1:port} asking for {@code serverName} (an IP literal sends no SNI) and completes the handshake. */
    public static TlsClient connect(TestCa ca, int port, String serverName) throws IOException {
        return connect(ca.clientContext(), new Socket(), port, serverName);
    }

    /** The same over a socket of the caller's choosing (one that cuts its writes into pieces, say). */
    public static TlsClient connect(SSLContext context, Socket plain, int port, String serverName) throws IOException {
        plain.setTcpNoDelay(true);
        plain.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        plain.setSoTimeout(20_000);
        SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket(plain, serverName, port, true);
        SSLParameters p = s.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        s.setSSLParameters(p);
        s.startHandshake();
        return new TlsClient(s);
    }

    /** The serial number of the certificate the server presented. */
    public BigInteger serial() {
        try {
            return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Response get(String path) throws IOException {
        return exchange("GET", path, null, 0);
    }

    /** Sends {@code length} bytes of {@code body} (repeated) as a POST and reads the answer. */
    public Response post(String path, byte[] chunk, long length) throws IOException {
        return exchange("POST", path, chunk, length);
    }

    private Response exchange(String method, String path, byte[] chunk, long length) throws IOException {
        StringBuilder head = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: x\r\n");
        if (chunk != null) {
            head.append("Content-Length: ").append(length).append("\r\n");
        }
        out.write(head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
        for (long sent = 0; chunk != null && sent < length; sent += chunk.length) {
            out.write(chunk, 0, (int) Math.min(chunk.length, length - sent));
        }
        out.flush();
        return response();
    }

    /** Reads one response (its body framed by Content-Length). */
    public Response response() throws IOException {
        int status = readHead();
        long n = contentLength;
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        byte[] buf = new byte[64 * 1024];
        while (n > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n));
            if (r < 0) {
                throw new EOFException("connection closed with " + n + " bytes of the body missing");
            }
            body.write(buf, 0, r);
            n -= r;
        }
        return new Response(status, body.toByteArray(), connectionClose);
    }

    private long contentLength;
    private boolean connectionClose;

    /** Sends a request and reads only the response head: the body is left to {@link #input()}. */
    public long requestHead(String path) throws IOException {
        out.write(("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        readHead();
        return contentLength;
    }

    public InputStream input() {
        return in;
    }

    public OutputStream output() {
        return out;
    }

    public SSLSocket socket() {
        return socket;
    }

    private int readHead() throws IOException {
        String status = line();
        if (status == null) {
            throw new EOFException("connection closed before a response");
        }
        contentLength = 0;
        connectionClose = false;
        for (String l = line(); l != null && !l.isEmpty(); l = line()) {
            String lower = l.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                contentLength = Long.parseLong(l.substring(15).trim());
            } else if (lower.startsWith("connection:") && lower.substring(11).contains("close")) {
                connectionClose = true;
            }
        }
        return Integer.parseInt(status.split(" ")[1]);
    }

    private String line() throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                return sb.toString().strip();
            }
            sb.append((char) c);
        }
        return sb.length() == 0 ? null : sb.toString();
    }

    /**
     * How the peer ended this connection, waiting up to the socket's read timeout: "FIN" (an orderly close: the
     * stream ends), "RST" (a reset), or "open" (nothing came).
     */
    public String ending() {
        try {
            return in.read() < 0 ? "FIN" : "data";
        } catch (java.net.SocketTimeoutException e) {
            return "open";
        } catch (IOException e) {
            return String.valueOf(e.getMessage()).contains("reset") ? "RST" : "error: " + e;
        }
    }

    /** Whether the server (or the proxy) closed this connection: the next read ends the stream or fails. */
    public boolean closedByPeer() {
        try {
            return in.read() < 0;
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
