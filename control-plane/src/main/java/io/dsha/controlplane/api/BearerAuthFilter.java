package io.dsha.controlplane.api;

import io.dsha.controlplane.AccessPolicy;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.jboss.resteasy.reactive.server.SimpleResourceInfo;

/**
 * Checks the bearer token of every {@code /api/v1} request: 401 without a valid token, 403 when
 * an agent token asks for an {@link AdminOnly} change. Runs after matching, so it knows the endpoint.
 */
public class BearerAuthFilter {

    private static final String PREFIX = "Bearer ";

    private final AccessPolicy access;
    private final Map<String, Boolean> adminOnly = new ConcurrentHashMap<>();

    BearerAuthFilter(AccessPolicy access) {
        this.access = access;
    }

    @ServerRequestFilter
    public Optional<Response> authorize(ContainerRequestContext request, SimpleResourceInfo resource) {
        if (access.open()) {
            return Optional.empty();
        }
        String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        String token = header != null && header.regionMatches(true, 0, PREFIX, 0, PREFIX.length())
                ? header.substring(PREFIX.length()).trim()
                : null;
        Optional<Role> role = access.roleOf(token);
        if (role.isEmpty()) {
            Response r = Problems.response(401, "Unauthorized",
                    token == null ? "send Authorization: Bearer <token> (dsha.agent-token or dsha.admin-token)" : "the bearer token is not valid");
            return Optional.of(Response.fromResponse(r).header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"dsha\"").build());
        }
        boolean adminOnly = resource.getResourceClass() != null && isAdminOnly(resource);
        if (adminOnly && role.get() != Role.ADMIN) {
            return Optional.of(Problems.response(403, "Forbidden", "this change needs the admin token; the agent token may only read, watch and report"));
        }
        return Optional.empty();
    }

    private boolean isAdminOnly(SimpleResourceInfo resource) {
        String key = resource.getResourceClass().getName() + "#" + resource.getMethodName() + "/" + resource.parameterTypes().length;
        return adminOnly.computeIfAbsent(key, k -> {
            try {
                return resource.getResourceClass().getMethod(resource.getMethodName(), resource.parameterTypes())
                        .isAnnotationPresent(AdminOnly.class);
            } catch (NoSuchMethodException e) {
                // Fail closed: an endpoint we cannot inspect is treated as a change.
                return true;
            }
        });
    }
}
