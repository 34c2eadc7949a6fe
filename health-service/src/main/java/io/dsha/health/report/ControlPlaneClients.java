package io.dsha.health.report;

import io.quarkus.rest.client.reactive.QuarkusRestClientBuilder;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Two clients of the control plane: one for reports (short read timeout; Fault Tolerance wraps it)
 * and one for the topology long-poll (read timeout beyond the poll's own).
 */
public record ControlPlaneClients(URI url, ControlPlaneApi reports, ControlPlaneApi watch) {

    public static ControlPlaneClients create(URI url, Optional<String> token, Duration watchTimeout) {
        return new ControlPlaneClients(url, build(url, token, 5_000), build(url, token, watchTimeout.toMillis() + 10_000));
    }

    private static ControlPlaneApi build(URI url, Optional<String> token, long readTimeoutMs) {
        QuarkusRestClientBuilder b = QuarkusRestClientBuilder.newBuilder()
                .baseUri(url)
                .connectTimeout(2, TimeUnit.SECONDS)
                .readTimeout(readTimeoutMs, TimeUnit.MILLISECONDS);
        token.ifPresent(t -> b.register(new BearerToken(t)));
        return b.build(ControlPlaneApi.class);
    }
}
