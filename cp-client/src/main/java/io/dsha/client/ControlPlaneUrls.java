package io.dsha.client;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Where the control plane answers, in the order its addresses are tried: one base URL today, several for
 * a replicated control plane (each replica serves reads and watches). Written as
 * {@code dsha.control-plane.url=http://cp-1:9470,http://cp-2:9470}.
 */
public record ControlPlaneUrls(List<URI> urls) {

    public ControlPlaneUrls {
        urls = List.copyOf(Objects.requireNonNull(urls, "urls"));
        if (urls.isEmpty()) {
            throw new IllegalArgumentException("urls: [] (expected: at least one)");
        }
    }

    /** Reads {@code dsha.control-plane.url}: one http(s) base URL, or several separated by commas. */
    public static ControlPlaneUrls parse(String value) {
        Objects.requireNonNull(value, "value");
        List<URI> urls = new ArrayList<>();
        for (String part : value.split(",", -1)) {
            urls.add(checked(part.trim()));
        }
        return new ControlPlaneUrls(urls);
    }

    private static URI checked(String url) {
        IllegalArgumentException invalid = new IllegalArgumentException("dsha.control-plane.url must be http(s)://host:port, got " + url);
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw invalid;
        }
        if (uri.getScheme() == null || !uri.getScheme().matches("https?") || uri.getHost() == null) {
            throw invalid;
        }
        return uri;
    }

    public URI first() {
        return urls.get(0);
    }

    /** As written in the setting: the URLs separated by commas. */
    @Override
    public String toString() {
        return urls.stream().map(URI::toString).collect(Collectors.joining(","));
    }
}
