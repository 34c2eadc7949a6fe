package io.dsha.api.topology;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

/**
 * One DataStack instance behind the proxy. {@code priority}: lower is preferred (ACTIVE_PASSIVE
 * takes the lowest that is up); when not given it is the backend's position in the topology's
 * list. {@code weight}: share of traffic in ACTIVE_ACTIVE (1..256, default 1).
 */
public record Backend(
        @NotNull @Pattern(regexp = ID_PATTERN, message = ID_MESSAGE) String id,
        @NotNull @Host String host,
        @NotNull @Min(value = 1, message = "must be between 1 and 65535")
        @Max(value = 65535, message = "must be between 1 and 65535") Integer port,
        @Min(value = 0, message = "must be between 0 and 999")
        @Max(value = 999, message = "must be between 0 and 999") Integer priority,
        @NotNull @Min(value = 1, message = "must be between 1 and 256")
        @Max(value = 256, message = "must be between 1 and 256") Integer weight,
        @NotNull AdminState adminState,
        @NotNull @Valid HealthCheck healthCheck) {

    public static final String ID_PATTERN = "[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?";
    public static final String ID_MESSAGE =
            "must be 1 to 63 characters of a-z, 0-9, '.', '_' or '-', starting and ending with a letter or digit";

    public Backend {
        weight = weight == null ? 1 : weight;
        adminState = adminState == null ? AdminState.ENABLED : adminState;
        healthCheck = healthCheck == null ? HealthCheck.DEFAULT : healthCheck;
    }

    public Backend withPriority(int newPriority) {
        return new Backend(id, host, port, newPriority, weight, adminState, healthCheck);
    }

    public Backend withAdminState(AdminState newState) {
        return new Backend(id, host, port, priority, weight, newState, healthCheck);
    }

    public Backend withId(String newId) {
        return new Backend(newId, host, port, priority, weight, adminState, healthCheck);
    }

    /** {@code host:port}, with brackets around an IPv6 literal. */
    public String address() {
        String h = host != null && host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
        return h + ":" + port;
    }
}
