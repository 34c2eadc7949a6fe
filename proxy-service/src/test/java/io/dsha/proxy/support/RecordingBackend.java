package io.dsha.proxy.support;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A backend on a plain socket (port picked free) that records exactly what reaches it, request by
 * request, on every connection: the head as sent, each header's values, and the body as framed by
 * Content-Length or chunked encoding, with whether it arrived whole. It reads keep-alive connections
 * strictly by that framing, so bytes a proxy lets through beyond a request's frame show up as the
 * next request. It answers 200 with {@code seen <n>}, n counting requests across connections, except
 * {@code /hang}, which it never answers, and {@code /big}, answered with 32 MiB. What it cannot parse is recorded with method {@code ?}.
 */
public final class RecordingBackend implements AutoCloseable {

    /** One request as received. */
    public record Received(String method, String target, Map<String, List<String>> headers, byte[] body, boolean complete) {
        public String header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null || v.isEmpty() ? null : v.get(0);
        }

        public List<String> all(String name) {
            return headers.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
        }

        public String bodyText() {
            return new String(body, StandardCharsets.ISO_8859_1);
        }
    }

    private final ServerSocket server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    /** The targets of the requests whose head has arrived (their body may still be coming). */
    private final List<String> started = new CopyOnWriteArrayList<>();
    private final List<Socket> connections = new CopyOnWriteArrayList<>();
    private final Thread acceptor;
    private volatile boolean closed;

    public RecordingBackend() {
        try {
            server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        acceptor = new Thread(this::acceptAll, "recording-backend-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Every request received so far, in order of arrival. */
    public List<Received> received() {
        return List.copyOf(received);
    }

    /** The targets starting with {@code prefix} of the requests whose head has arrived, whole or not. */
    public List<String> started(String prefix) {
        return started.stream().filter(t -> t.startsWith(prefix)).toList();
    }

    /** Those whose target starts with {@code prefix}. */
    public List<Received> received(String prefix) {
        return received.stream().filter(r -> r.target().startsWith(prefix)).toList();
    }

    private void acceptAll() {
        while (!closed) {
            try {
                Socket s = server.accept();
                connections.add(s);
                Thread t = new Thread(() -> serve(s), "recording-backend-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            while (true) {
                String requestLine;
                try {
                    requestLine = RawHttp.line(in);
                } catch (EOFException e) {
                    return; // closed between requests
                }
                String[] parts = requestLine.split(" ", -1);
                if (parts.length != 3 || !parts[2].startsWith("HTTP/1.")) {
                    received.add(new Received("?", requestLine, Map.of(), new byte[0], false));
                    return;
                }
                Map<String, List<String>> headers = new LinkedHashMap<>();
                for (String l = RawHttp.line(in); !l.isEmpty(); l = RawHttp.line(in)) {
                    int colon = l.indexOf(':');
                    headers.computeIfAbsent(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                            .add(l.substring(colon + 1).trim());
                }
                started.add(parts[1]);
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                boolean complete = readBody(in, headers, body);
                Received r = new Received(parts[0], parts[1], headers, body.toByteArray(), complete);
                received.add(r);
                if (!complete) {
                    return;
                }
                if (parts[1].startsWith("/big")) {
                    // 32 MiB: more than the proxy's and the kernel's buffers hold for a client that does not read.
                    byte[] block = new byte[64 * 1024];
                    java.util.Arrays.fill(block, (byte) 'b');
                    out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + 512L * block.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    for (int i = 0; i < 512; i++) {
                        out.write(block);
                    }
                    out.flush();
                    continue;
                }
                if (parts[1].startsWith("/hang")) {
                    in.readAllBytes(); // never answers; waits for the proxy to give up
                    return;
                }
                byte[] answer = ("seen " + received.size() + " " + parts[0] + " " + parts[1] + "\n").getBytes(StandardCharsets.ISO_8859_1);
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + answer.length + "\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.write(answer);
                out.flush();
            }
        } catch (IOException e) {
            // the proxy closed the connection
        }
    }

    /** Reads the body as framed; false when the connection ended before its frame did. */
    private static boolean readBody(InputStream in, Map<String, List<String>> headers, ByteArrayOutputStream body) throws IOException {
        List<String> te = headers.get("transfer-encoding");
        List<String> cl = headers.get("content-length");
        try {
            if (te != null) {
                if (!te.equals(List.of("chunked"))) {
                    return false;
                }
                for (int size = chunkSize(RawHttp.line(in)); size > 0; size = chunkSize(RawHttp.line(in))) {
                    byte[] chunk = in.readNBytes(size);
                    body.write(chunk);
                    if (chunk.length < size || !RawHttp.line(in).isEmpty()) {
                        return false;
                    }
                }
                for (String l = RawHttp.line(in); !l.isEmpty(); l = RawHttp.line(in)) {
                    // trailers
                }
                return true;
            }
            if (cl != null) {
                int n = Integer.parseInt(cl.get(0));
                byte[] b = in.readNBytes(n);
                body.write(b);
                return b.length == n;
            }
            return true;
        } catch (EOFException | NumberFormatException e) {
            return false;
        }
    }

    private static int chunkSize(String line) {
        return Integer.parseInt(line.split(";")[0].trim(), 16);
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing
        }
        for (Socket s : connections) {
            try {
                s.close();
            } catch (IOException e) {
                // closing
            }
        }
    }
}
