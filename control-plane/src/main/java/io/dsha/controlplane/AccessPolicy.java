package io.dsha.controlplane;

import io.dsha.controlplane.api.Role;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Who a bearer token is. Tokens are compared in constant time (as SHA-256 digests, so not even
 * their length leaks). Refuses to be created without both tokens unless the insecure dev mode is
 * explicitly on, which makes every caller an admin.
 */
@Singleton
public class AccessPolicy {

    private static final Logger LOG = Logger.getLogger(AccessPolicy.class);
    static final int MIN_TOKEN_LENGTH = 16;

    private final boolean open;
    private final byte[] admin;
    private final byte[] agent;

    public AccessPolicy(ControlPlaneConfig config) {
        this.open = config.insecureDevMode();
        if (open) {
            LOG.warn("dsha.insecure-dev-mode=true: the control plane accepts every request WITHOUT authentication. "
                    + "Never run it like this outside a local experiment.");
            admin = null;
            agent = null;
            return;
        }
        List<String> problems = new ArrayList<>();
        check("dsha.admin-token", config.adminToken(), problems);
        check("dsha.agent-token", config.agentToken(), problems);
        if (problems.isEmpty() && config.adminToken().get().equals(config.agentToken().get())) {
            problems.add("dsha.admin-token and dsha.agent-token must differ");
        }
        if (!problems.isEmpty()) {
            throw ControlPlaneBeans.refuse(new IllegalStateException("The control plane will not start without its tokens: " + String.join("; ", problems)
                    + ". Set them (e.g. DSHA_ADMIN_TOKEN=$(openssl rand -hex 24) and DSHA_AGENT_TOKEN=$(openssl rand -hex 24)), "
                    + "or name files holding them (dsha.admin-token-file, dsha.agent-token-file; mode 0600), "
                    + "or set dsha.insecure-dev-mode=true for a local experiment without authentication."));
        }
        admin = digest(config.adminToken().get());
        agent = digest(config.agentToken().get());
    }

    private static void check(String name, Optional<String> token, List<String> problems) {
        if (token.isEmpty() || token.get().isBlank()) {
            problems.add(name + " is not set");
        } else if (token.get().length() < MIN_TOKEN_LENGTH) {
            problems.add(name + " is shorter than " + MIN_TOKEN_LENGTH + " characters");
        }
    }

    public boolean open() {
        return open;
    }

    /** The role of a presented token, or empty when it is not one of ours. */
    public Optional<Role> roleOf(String token) {
        if (open) {
            return Optional.of(Role.ADMIN);
        }
        if (token == null) {
            return Optional.empty();
        }
        byte[] presented = digest(token);
        // Both comparisons always run, so timing says nothing about which one matched.
        boolean isAdmin = MessageDigest.isEqual(presented, admin);
        boolean isAgent = MessageDigest.isEqual(presented, agent);
        return isAdmin ? Optional.of(Role.ADMIN) : isAgent ? Optional.of(Role.AGENT) : Optional.empty();
    }

    private static byte[] digest(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }
}
