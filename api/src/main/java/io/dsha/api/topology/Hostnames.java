package io.dsha.api.topology;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Syntax checks for host names and IP literals. Never resolves a name: validation must give the
 * same answer on a machine without DNS.
 */
public final class Hostnames {

    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
    private static final Pattern NUMERIC = Pattern.compile("[0-9]+");
    private static final Pattern IPV4 =
            Pattern.compile("((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");

    private Hostnames() {
    }

    /** A DNS host name (RFC 1123), an IPv4 literal, or an IPv6 literal (with or without brackets). */
    public static boolean isHost(String value) {
        if (value == null || value.isEmpty()) {
            return false;
        }
        return isIpLiteral(value) || isHostName(value);
    }

    /** A fully qualified DNS name: at least two labels, a non-numeric top-level label, not an IP literal. */
    public static boolean isFqdn(String value) {
        if (value == null || isIpLiteral(value) || !isHostName(value)) {
            return false;
        }
        String[] labels = value.split("\\.");
        return labels.length >= 2 && !NUMERIC.matcher(labels[labels.length - 1]).matches();
    }

    public static boolean isIpLiteral(String value) {
        if (value == null) {
            return false;
        }
        if (IPV4.matcher(value).matches()) {
            return true;
        }
        if (value.indexOf(':') < 0) {
            return false;
        }
        String bracketed = value.startsWith("[") ? value : "[" + value + "]";
        try {
            // A bracketed literal is parsed as IPv6 and never looked up.
            InetAddress.getByName(bracketed);
            return true;
        } catch (UnknownHostException | IllegalArgumentException e) {
            return false;
        }
    }

    /** Loopback or "any" addresses, and the name localhost: the ones that point a proxy at itself. */
    public static boolean isLocal(String host) {
        if (host == null) {
            return false;
        }
        String h = host.toLowerCase(Locale.ROOT);
        return h.equals("localhost") || h.startsWith("127.") || h.equals("::1") || h.equals("[::1]")
                || h.equals("0.0.0.0") || h.equals("::") || h.equals("[::]");
    }

    /** Whether a listener bound to {@code bindHost} accepts connections addressed to {@code host}. */
    public static boolean listenerReaches(String bindHost, String host) {
        if (bindHost == null || host == null) {
            return false;
        }
        String b = bindHost.toLowerCase(Locale.ROOT);
        String h = host.toLowerCase(Locale.ROOT);
        if (b.equals(h)) {
            return true;
        }
        boolean wildcard = b.equals("0.0.0.0") || b.equals("::") || b.equals("[::]");
        return wildcard ? isLocal(h) : isLocal(b) && isLocal(h);
    }

    private static boolean isHostName(String value) {
        if (value.length() > 253) {
            return false;
        }
        String[] labels = value.split("\\.", -1);
        boolean allNumeric = true;
        for (String label : labels) {
            if (!LABEL.matcher(label).matches()) {
                return false;
            }
            allNumeric &= NUMERIC.matcher(label).matches();
        }
        // "10.0.0.300" is a mistyped address, not a name.
        return !allNumeric;
    }
}
