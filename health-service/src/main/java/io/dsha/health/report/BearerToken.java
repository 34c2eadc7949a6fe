package io.dsha.health.report;

import jakarta.ws.rs.client.ClientRequestContext;
import jakarta.ws.rs.client.ClientRequestFilter;
import jakarta.ws.rs.core.HttpHeaders;

/** Adds the agent token to every request to the control plane. */
final class BearerToken implements ClientRequestFilter {

    private final String token;

    BearerToken(String token) {
        this.token = token;
    }

    @Override
    public void filter(ClientRequestContext ctx) {
        ctx.getHeaders().putSingle(HttpHeaders.AUTHORIZATION, "Bearer " + token);
    }
}
