package io.dsha.launcher;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code ./dsha vrrp-config}: the keepalived configuration that lets two (or more) proxy hosts share one floating
 * address, and the readiness check script it runs. Pure: options in, text out; every bad option is named, all at once.
 *
 * <p>Every host starts as {@code BACKUP} with {@code nopreempt} (unless {@code --preempt}): the address moves when its
 * holder fails, and not again when that host comes back. A host holds the address only while its proxy's
 * {@code /q/health/ready} answers 200 within {@value #CHECK_MAX_TIME} s.
 *
 * <p>Why a script of our own rather than {@code curl} as the {@code vrrp_script}: keepalived 2.2 runs a
 * {@code vrrp_script} at most once a second ({@code interval} is whole seconds; {@code interval 0.2} is refused,
 * checked with {@code keepalived -t}). It starts the script every {@code interval} whatever the last run took. So the
 * script runs for most of that second itself, checking every {@code --track-interval} ms, and ends at once with 1
 * after {@code --track-fall} failed checks in a row; it ends with 0 once its time is up and the last
 * {@code --track-rise} checks answered. Rise and fall are counted there alone (keepalived's own are 1), in checks.
 */
public final class VrrpConfig {

    /** The proxy's management port default ({@code quarkus.http.port} in proxy-service's application.properties). */
    public static final String DEFAULT_READY_URL = "http://127.0.0.1:9480/q/health/ready";
    /** Where the configuration names the check script when {@code --script-out} does not say. */
    public static final String DEFAULT_SCRIPT = "/etc/keepalived/dsha-ready.sh";
    /** How long one readiness check may take: a frozen proxy accepts and never answers. */
    static final String CHECK_MAX_TIME = "0.5";
    private static final int CHECK_MAX_TIME_MS = 500;
    /** keepalived starts the script this often (its smallest {@code interval}). */
    private static final int RUN_MS = 1000;
    /** A run ends this long before the next is due, so that keepalived never finds it still running. */
    private static final int RUN_MARGIN_MS = 100;
    private static final Pattern INTERFACE = Pattern.compile("[A-Za-z0-9_.:@-]{1,15}");

    /**
     * What the operator asked for (validated).
     *
     * @param peers the other hosts' addresses (unicast); empty: multicast
     * @param source this host's address for unicast adverts ({@code unicast_src_ip}); empty: keepalived picks
     * @param advertMs the VRRP advertisement interval (VRRPv3: a multiple of 10 ms)
     * @param preemptDelayS with {@code preempt}: how long a higher-priority host waits before it takes the address back
     * @param out the configuration file; empty: standard output
     * @param scriptOut where the check script is written; empty: not written, and the configuration names
     *     {@value #DEFAULT_SCRIPT}
     */
    public record Options(String iface, String vip, List<String> peers, Optional<String> source, int priority, int routerId,
            int advertMs, boolean preempt, int preemptDelayS, String readyUrl, int trackIntervalMs, int trackFall, int trackRise,
            Optional<Path> out, Optional<Path> scriptOut) {

        public Options {
            requireNonNull(iface, "iface");
            requireNonNull(vip, "vip");
            peers = List.copyOf(peers);
            requireNonNull(source, "source");
            requireNonNull(readyUrl, "readyUrl");
            requireNonNull(out, "out");
            requireNonNull(scriptOut, "scriptOut");
        }

        /** The path the configuration runs the script from. */
        public String scriptPath() {
            return scriptOut.map(p -> p.toAbsolutePath().normalize().toString()).orElse(DEFAULT_SCRIPT);
        }

        /** The keepalived {@code vrrp_script} timeout, whole seconds: a run's second plus a streak decided after it. */
        int scriptTimeoutS() {
            int streak = Math.max(trackFall, trackRise) * (trackIntervalMs + CHECK_MAX_TIME_MS);
            return (RUN_MS + streak + 999) / 1000 + 1;
        }
    }

    private VrrpConfig() {
    }

    /**
     * Reads {@code vrrp-config}'s options.
     *
     * @throws IllegalArgumentException naming every bad or missing option
     */
    public static Options parse(String... args) {
        List<String> problems = new ArrayList<>();
        String iface = null;
        String vip = null;
        List<String> peers = new ArrayList<>();
        String source = null;
        String priority = "100";
        String routerId = "51";
        String advert = "100";
        boolean preempt = false;
        String preemptDelay = null;
        String readyUrl = DEFAULT_READY_URL;
        String trackInterval = "200";
        String fall = "2";
        String rise = "2";
        String out = null;
        String scriptOut = null;
        for (int i = 0; i < args.length; i++) {
            String w = args[i];
            if (w.equals("--preempt")) {
                preempt = true;
                continue;
            }
            if (!w.startsWith("--")) {
                problems.add("unexpected " + w);
                continue;
            }
            if (i + 1 >= args.length) {
                problems.add(w + " needs a value");
                break;
            }
            String v = args[++i];
            switch (w) {
                case "--interface" -> iface = v;
                case "--vip" -> vip = v;
                case "--peer" -> peers.add(v);
                case "--source" -> source = v;
                case "--priority" -> priority = v;
                case "--router-id" -> routerId = v;
                case "--advert" -> advert = v;
                case "--preempt-delay" -> preemptDelay = v;
                case "--ready-url" -> readyUrl = v;
                case "--track-interval" -> trackInterval = v;
                case "--track-fall" -> fall = v;
                case "--track-rise" -> rise = v;
                case "--out" -> out = v;
                case "--script-out" -> scriptOut = v;
                default -> problems.add("unknown option " + w);
            }
        }
        if (iface == null) {
            problems.add("--interface is required (the interface the address lives on, e.g. eth0)");
        } else if (!INTERFACE.matcher(iface).matches()) {
            problems.add("--interface: " + iface + " (expected: an interface name, 1..15 characters)");
        }
        String vipAddress = null;
        if (vip == null) {
            problems.add("--vip is required (the floating address with its prefix, e.g. 10.0.0.100/24)");
        } else {
            int slash = vip.indexOf('/');
            int prefix = slash < 0 ? -1 : number(vip.substring(slash + 1), 1, 32, "--vip's prefix", problems, vip);
            vipAddress = slash < 0 ? null : vip.substring(0, slash);
            if (slash < 0) {
                problems.add("--vip: " + vip + " (expected: ADDRESS/PREFIX, e.g. 10.0.0.100/24)");
            } else if (!isIpv4(vipAddress)) {
                problems.add("--vip: " + vip + " (expected: an IPv4 address, e.g. 10.0.0.100/24)");
            } else if (prefix < 0) {
                vipAddress = null;
            }
        }
        for (String p : peers) {
            if (!isIpv4(p)) {
                problems.add("--peer: " + p + " (expected: an IPv4 address)");
            } else if (p.equals(vipAddress)) {
                problems.add("--peer: " + p + " is the floating address itself (expected: the other host's own address)");
            } else if (p.equals(source)) {
                problems.add("--peer: " + p + " is this host's --source (expected: the other host's address)");
            }
        }
        if (source != null) {
            if (!isIpv4(source)) {
                problems.add("--source: " + source + " (expected: an IPv4 address, this host's own)");
            } else if (source.equals(vipAddress)) {
                problems.add("--source: " + source + " is the floating address (expected: this host's own address)");
            }
            if (peers.isEmpty()) {
                problems.add("--source is for unicast: name the other hosts with --peer (or leave --source out for multicast)");
            }
        }
        // 255 is the address owner's, which never waits: a BACKUP may not claim it.
        int prio = number(priority, 1, 254, "--priority", problems, priority);
        int vrid = number(routerId, 1, 255, "--router-id", problems, routerId);
        int advertMs = number(advert, 10, 40_950, "--advert", problems, advert + " ms");
        if (advertMs > 0 && advertMs % 10 != 0) {
            problems.add("--advert: " + advert + " ms (expected: a multiple of 10 ms, VRRPv3 counts centiseconds)");
        }
        int delay = 5;
        if (preemptDelay != null) {
            if (!preempt) {
                problems.add("--preempt-delay needs --preempt (without it a host never takes the address back)");
            }
            delay = number(preemptDelay, 0, 1000, "--preempt-delay", problems, preemptDelay + " s");
        }
        checkReadyUrl(readyUrl, problems);
        int interval = number(trackInterval, 50, 500, "--track-interval", problems, trackInterval + " ms");
        int trackFall = number(fall, 1, 10, "--track-fall", problems, fall);
        int trackRise = number(rise, 1, 10, "--track-rise", problems, rise);
        if (interval > 0 && trackRise > 0 && trackRise * interval > RUN_MS - RUN_MARGIN_MS) {
            problems.add("--track-rise: " + trackRise + " checks every " + interval + " ms do not fit in the second between"
                    + " keepalived's runs (expected: at most " + ((RUN_MS - RUN_MARGIN_MS) / interval) + ")");
        }
        if (out != null && out.equals(scriptOut)) {
            problems.add("--script-out: " + scriptOut + " is --out's file too (expected: a file of its own)");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        return new Options(iface, vip, peers, Optional.ofNullable(source), prio, vrid, advertMs, preempt, delay, readyUrl, interval,
                trackFall, trackRise, Optional.ofNullable(out).map(Path::of), Optional.ofNullable(scriptOut).map(Path::of));
    }

    private static void checkReadyUrl(String url, List<String> problems) {
        // It goes into a shell script between single quotes: no quote, no space, no backslash.
        if (url.chars().anyMatch(c -> c == '\'' || c == '"' || c == '\\' || Character.isWhitespace(c) || c < 0x20)) {
            problems.add("--ready-url: " + url + " (expected: a URL without quotes, spaces or backslashes)");
            return;
        }
        try {
            URI u = new URI(url);
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null) {
                problems.add("--ready-url: " + url + " (expected: http://HOST:PORT/q/health/ready)");
            }
        } catch (URISyntaxException e) {
            problems.add("--ready-url: " + url + " (" + e.getReason() + ")");
        }
    }

    /** The number in {@code min..max}, or -1 with the problem added. */
    private static int number(String value, int min, int max, String option, List<String> problems, String shown) {
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        problems.add(option + ": " + shown + " (expected: " + min + ".." + max + ")");
        return -1;
    }

    static boolean isIpv4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit) || Integer.parseInt(p) > 255
                    || (p.length() > 1 && p.charAt(0) == '0')) {
                return false;
            }
        }
        return true;
    }

    /** {@code 100} ms is {@code 0.1}, {@code 1000} is {@code 1}, {@code 1250} is {@code 1.25}. */
    static String seconds(int ms) {
        return java.math.BigDecimal.valueOf(ms, 3).stripTrailingZeros().toPlainString();
    }

    /** The keepalived configuration ({@code /etc/keepalived/keepalived.conf}). */
    public static String keepalivedConf(Options o) {
        StringBuilder b = new StringBuilder();
        b.append("# Written by ./dsha vrrp-config: this host shares ").append(o.vip()).append(" with ")
                .append(o.peers().isEmpty() ? "the other proxy hosts (multicast)" : String.join(", ", o.peers()))
                .append(".\n# It holds the address only while its proxy is ready (").append(o.readyUrl()).append(").\n");
        b.append("global_defs {\n");
        b.append("    enable_script_security\n");
        b.append("    script_user root\n");
        b.append("}\n\n");
        b.append("# keepalived starts the script every second; it checks every ").append(o.trackIntervalMs())
                .append(" ms and fails after ").append(o.trackFall()).append(" failed checks in a row.\n");
        b.append("vrrp_script dsha_ready {\n");
        b.append("    script \"").append(o.scriptPath()).append("\"\n");
        b.append("    interval 1\n");
        b.append("    timeout ").append(o.scriptTimeoutS()).append('\n');
        b.append("    fall 1\n");
        b.append("    rise 1\n");
        // Not ready until a run said so: a host whose proxy has not started never takes the address.
        b.append("    init_fail\n");
        b.append("}\n\n");
        b.append("vrrp_instance DSHA {\n");
        b.append("    state BACKUP\n");
        b.append("    interface ").append(o.iface()).append('\n');
        b.append("    virtual_router_id ").append(o.routerId()).append('\n');
        b.append("    priority ").append(o.priority()).append('\n');
        b.append("    advert_int ").append(seconds(o.advertMs())).append('\n');
        b.append("    version 3\n");
        if (o.preempt()) {
            b.append("    preempt_delay ").append(o.preemptDelayS()).append('\n');
        } else {
            b.append("    nopreempt\n");
        }
        if (!o.peers().isEmpty()) {
            o.source().ifPresent(s -> b.append("    unicast_src_ip ").append(s).append('\n'));
            b.append("    unicast_peer {\n");
            o.peers().forEach(p -> b.append("        ").append(p).append('\n'));
            b.append("    }\n");
        }
        b.append("    virtual_ipaddress {\n");
        b.append("        ").append(o.vip()).append(" dev ").append(o.iface()).append('\n');
        b.append("    }\n");
        b.append("    track_script {\n");
        b.append("        dsha_ready\n");
        b.append("    }\n");
        b.append("}\n");
        return b.toString();
    }

    /** The check script keepalived runs ({@code vrrp_script dsha_ready}); bash, for its clock {@code EPOCHREALTIME}. */
    public static String checkScript(Options o) {
        int budgetMs = RUN_MS - RUN_MARGIN_MS - o.trackIntervalMs();
        return """
                #!/bin/bash
                # Written by ./dsha vrrp-config: keepalived's vrrp_script dsha_ready, started every second.
                # Checks the proxy's readiness every %1$d ms: exits 1 after %2$d failed checks in a row (no 200 within %3$s s:
                # refused, DOWN, shutting down, frozen); exits 0 after %4$d ms when the last %5$d checks answered 200.
                # A streak still undecided then is decided first (keepalived waits up to its timeout).
                url='%6$s'
                start=${EPOCHREALTIME/./}
                ok=0
                failed=0
                while :; do
                  began=${EPOCHREALTIME/./}
                  if /usr/bin/curl -fsS -o /dev/null --max-time %3$s "$url" 2>/dev/null; then
                    ok=$((ok + 1)); failed=0
                  else
                    failed=$((failed + 1)); ok=0
                  fi
                  [ "$failed" -ge %2$d ] && exit 1
                  [ $(( ${EPOCHREALTIME/./} - start )) -ge %4$d000 ] && [ "$ok" -ge %5$d ] && exit 0
                  # The next check %1$d ms after this one began: a check that timed out is not followed by a pause.
                  rest=$(( began + %1$d000 - ${EPOCHREALTIME/./} ))
                  [ "$rest" -gt 0 ] && sleep "0.$(printf '%%06d' "$rest")"
                done
                """.formatted(o.trackIntervalMs(), o.trackFall(), CHECK_MAX_TIME, budgetMs, o.trackRise(), o.readyUrl());
    }
}
