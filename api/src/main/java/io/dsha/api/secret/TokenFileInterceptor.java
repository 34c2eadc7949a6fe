package io.dsha.api.secret;

import io.smallrye.config.ConfigSourceInterceptor;
import io.smallrye.config.ConfigSourceInterceptorContext;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.Priorities;
import jakarta.annotation.Priority;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Gives {@code dsha.admin-token} and {@code dsha.agent-token} the content of {@code dsha.admin-token-file} and
 * {@code dsha.agent-token-file} when those are set, in every service (registered through
 * {@code META-INF/services/io.smallrye.config.ConfigSourceInterceptor}, so the control plane, the health service and
 * the proxy read their tokens the same way, and their configuration interfaces see just the token). Setting a token
 * and its file both is an error, as is a file that gives no token ({@link TokenFile}); a file open to its group or
 * others is logged once.
 */
@Priority(Priorities.APPLICATION + 100)
public final class TokenFileInterceptor implements ConfigSourceInterceptor {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = Logger.getLogger(TokenFileInterceptor.class);
    /** The tokens that may come from a file named by {@code NAME-file}. */
    public static final Set<String> TOKENS = Set.of("dsha.admin-token", "dsha.agent-token");
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    @Override
    public ConfigValue getValue(ConfigSourceInterceptorContext context, String name) {
        ConfigValue value = context.proceed(name);
        if (!TOKENS.contains(name)) {
            return value;
        }
        String option = name + "-file";
        ConfigValue file = context.proceed(option);
        if (file == null || file.getValue() == null || file.getValue().isBlank()) {
            return value;
        }
        if (value != null && value.getValue() != null && !value.getValue().isEmpty()) {
            throw new TokenFile.TokenFileException(name + " (from " + value.getConfigSourceName() + ") and " + option + " (from "
                    + file.getConfigSourceName() + ") are both set: set one of them", null);
        }
        Path path = Path.of(file.getValue().trim());
        TokenFile read = TokenFile.read(option, path);
        read.warning().filter(w -> WARNED.add(path.toAbsolutePath().toString())).ifPresent(LOG::warn);
        return file.from().withName(name).withValue(read.token()).withRawValue(read.token())
                .withConfigSourceName(option + " " + path).build();
    }
}
