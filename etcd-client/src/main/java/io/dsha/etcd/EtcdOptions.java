package io.dsha.etcd;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Where etcd is and how to talk to it. {@code endpoints}: client URLs, {@code http://host:port} or {@code
 * https://host:port}, tried in turn. For https: {@code caFile}, the PEM certificate(s) to trust (the JVM's default trust
 * without it), and {@code certFile}/{@code keyFile}, this client's PEM certificate and key where etcd asks for one
 * ({@code --client-cert-auth}), both or neither. {@code requestTimeout}: how long one endpoint may keep silent on a
 * request before the next is tried; a watch checks its endpoint at that interval too.
 */
public record EtcdOptions(List<URI> endpoints, Optional<Path> caFile, Optional<Path> certFile, Optional<Path> keyFile,
        Duration requestTimeout) {

    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(5);

    public EtcdOptions {
        endpoints = List.copyOf(endpoints);
        Objects.requireNonNull(caFile, "caFile");
        Objects.requireNonNull(certFile, "certFile");
        Objects.requireNonNull(keyFile, "keyFile");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("no etcd endpoint given");
        }
        for (URI u : endpoints) {
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || u.getHost() == null) {
                throw new IllegalArgumentException("an etcd endpoint is http://host:port or https://host:port, not " + u);
            }
        }
        if (certFile.isPresent() != keyFile.isPresent()) {
            throw new IllegalArgumentException("a client certificate for etcd needs both certFile and keyFile");
        }
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("requestTimeout must be positive, not " + requestTimeout);
        }
    }

    /** Plain endpoints (or https with the JVM's default trust), with {@link #DEFAULT_REQUEST_TIMEOUT}. */
    public static EtcdOptions of(String... endpoints) {
        return new EtcdOptions(Arrays.stream(endpoints).map(URI::create).toList(), Optional.empty(), Optional.empty(), Optional.empty(),
                DEFAULT_REQUEST_TIMEOUT);
    }

    public EtcdOptions withRequestTimeout(Duration timeout) {
        return new EtcdOptions(endpoints, caFile, certFile, keyFile, timeout);
    }

    /** With TLS: {@code ca} to trust, and this client's certificate and key where both are given. */
    public EtcdOptions withTls(Path ca, Path cert, Path key) {
        return new EtcdOptions(endpoints, Optional.of(ca), Optional.ofNullable(cert), Optional.ofNullable(key), requestTimeout);
    }
}
