package io.dsha.api.topology;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

/** Where the proxy's front end accepts clients. Defaults to {@code 0.0.0.0:8443}. */
public record Listener(
        @NotNull @Host String host,
        @NotNull @Min(value = 1, message = "must be between 1 and 65535")
        @Max(value = 65535, message = "must be between 1 and 65535") Integer port) {

    public static final Listener DEFAULT = new Listener("0.0.0.0", 8443);

    public Listener {
        host = host == null ? DEFAULT_HOST : host;
        port = port == null ? DEFAULT_PORT : port;
    }

    private static final String DEFAULT_HOST = "0.0.0.0";
    private static final int DEFAULT_PORT = 8443;
}
