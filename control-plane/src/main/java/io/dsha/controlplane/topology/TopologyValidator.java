package io.dsha.controlplane.topology;

import io.dsha.api.json.DshaJson;
import io.dsha.api.problem.Violation;
import io.dsha.api.topology.Backend;
import io.dsha.api.topology.HealthCheck;
import io.dsha.api.topology.HealthCheckType;
import io.dsha.api.topology.Hostnames;
import io.dsha.api.topology.Ingest;
import io.dsha.api.topology.IngestRoute;
import io.dsha.api.topology.Mode;
import io.dsha.api.topology.TlsMode;
import io.dsha.api.topology.Topology;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validator;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Decides whether a topology is meaningful: Hibernate Validator for each field, then the rules that
 * span fields (unique ids and addresses, one backend per priority in ACTIVE_PASSIVE, timeout below
 * interval, fast interval at most and down interval at least the interval, HTTP-only settings only
 * on HTTP checks, an FQDN for PASSTHROUGH, no backend pointing at the proxy's own listener; ingest routes only with
 * TERMINATE, each route once, an idempotency header that is not a framing or hop-by-hop one). Returns every
 * violation at once, in a stable order.
 */
public final class TopologyValidator {

    private final Validator validator;

    public TopologyValidator(Validator validator) {
        this.validator = Objects.requireNonNull(validator, "validator");
    }

    /** Parses and validates a topology document (JSON, or YAML when {@code yaml}). */
    public Checked<Topology> parse(String text, boolean yaml) {
        DshaJson.Binding<Topology> binding = yaml ? DshaJson.bindYaml(text, Topology.class) : DshaJson.bind(text, Topology.class);
        return check(binding);
    }

    /**
     * Validates an already bound value of any API type, merging binding problems with constraint
     * violations; each is placed at its field's line and column when the value was read from a document.
     */
    public <T> Checked<T> check(DshaJson.Binding<T> binding) {
        List<Violation> violations = new ArrayList<>(binding.violations());
        T value = binding.value();
        if (value != null) {
            Set<String> reported = new java.util.HashSet<>();
            binding.violations().forEach(v -> reported.add(v.field()));
            for (Violation v : constraints(value)) {
                // A field that could not be read is already reported; "must not be null" would only repeat it.
                if (!reported.contains(v.field())) {
                    violations.add(binding.source().locate(v));
                }
            }
            if (value instanceof Topology t) {
                violations.addAll(binding.source().locate(crossFieldRules(t)));
            }
        }
        return new Checked<>(violations.isEmpty() ? value : null, dedupe(violations));
    }

    public List<Violation> validate(Topology topology) {
        return check(new DshaJson.Binding<>(topology, List.of())).violations();
    }

    /** The bound topology, validated; or {@link InvalidTopology} ({@code REQUESTED}) with every violation, each at its place in the document. */
    public ValidTopology require(DshaJson.Binding<Topology> binding) {
        Checked<Topology> checked = check(binding);
        if (!checked.ok()) {
            throw new InvalidTopology(InvalidTopology.Origin.REQUESTED, checked.violations());
        }
        return new ValidTopology(checked.value());
    }

    /** {@code topology}, validated; or {@link InvalidTopology} with every violation and {@code origin}. */
    public ValidTopology require(Topology topology, InvalidTopology.Origin origin) {
        List<Violation> violations = validate(topology);
        if (!violations.isEmpty()) {
            throw new InvalidTopology(origin, violations);
        }
        return new ValidTopology(topology);
    }

    /** A value that passed, or every reason it did not. */
    public record Checked<T>(T value, List<Violation> violations) {
        public Checked {
            violations = List.copyOf(violations);
        }

        public boolean ok() {
            return violations.isEmpty();
        }
    }

    private <T> List<Violation> constraints(T value) {
        List<Violation> list = new ArrayList<>();
        for (ConstraintViolation<T> cv : validator.validate(value)) {
            list.add(new Violation(cleanPath(cv.getPropertyPath().toString()), cv.getMessage()));
        }
        list.sort(Comparator.comparing(Violation::field).thenComparing(Violation::message));
        return list;
    }

    // Hibernate Validator writes container elements as "backends[0].<list element>"; keep the plain path.
    private static String cleanPath(String path) {
        return path.replace(".<list element>", "").replace("<list element>", "");
    }

    static List<Violation> crossFieldRules(Topology t) {
        List<Violation> v = new ArrayList<>();
        if (t.tlsMode() == TlsMode.PASSTHROUGH && t.fqdn() == null) {
            v.add(new Violation("fqdn", "is required when tlsMode is PASSTHROUGH: the proxy routes connections by the SNI name"));
        }
        List<Backend> backends = t.backends() == null ? List.of() : t.backends();
        Map<String, Integer> ids = new HashMap<>();
        Map<String, Integer> addresses = new HashMap<>();
        Map<Integer, Integer> priorities = new HashMap<>();
        for (int i = 0; i < backends.size(); i++) {
            Backend b = backends.get(i);
            if (b == null) {
                continue;
            }
            String at = "backends[" + i + "]";
            if (b.id() != null) {
                Integer j = ids.putIfAbsent(b.id(), i);
                if (j != null) {
                    v.add(new Violation(at + ".id", "'" + b.id() + "' is also the id of backends[" + j + "]; ids must be unique"));
                }
            }
            if (b.host() != null && b.port() != null) {
                // By address(), which brackets an IPv6 literal: "2001:db8::1" and "[2001:db8::1]" are one address.
                Integer j = addresses.putIfAbsent(b.address().toLowerCase(Locale.ROOT), i);
                if (j != null) {
                    v.add(new Violation(at, "address " + b.address() + " is also the address of backends[" + j + "]; each backend is a distinct instance"));
                }
                if (t.listener() != null && t.listener().port() != null && t.listener().port().equals(b.port())
                        && Hostnames.listenerReaches(t.listener().host(), b.host())) {
                    v.add(new Violation(at, "address " + b.address() + " is the proxy's own listener "
                            + t.listener().host() + ":" + t.listener().port() + "; traffic would loop"));
                }
            }
            if (t.mode() == Mode.ACTIVE_PASSIVE && b.priority() != null) {
                Integer j = priorities.putIfAbsent(b.priority(), i);
                if (j != null) {
                    v.add(new Violation(at + ".priority", "priority " + b.priority() + " is also held by backends[" + j
                            + "]; in ACTIVE_PASSIVE each backend needs its own (lower is preferred; a priority not given is the backend's position in the list)"));
                }
            }
            HealthCheck hc = b.healthCheck();
            if (hc != null) {
                if (hc.timeoutMs() != null && hc.intervalMs() != null && hc.timeoutMs() >= hc.intervalMs()) {
                    v.add(new Violation(at + ".healthCheck.timeoutMs", "must be less than intervalMs (" + hc.intervalMs() + ")"));
                }
                if (hc.type() != null && hc.type() != HealthCheckType.HTTP) {
                    if (hc.path() != null) {
                        v.add(new Violation(at + ".healthCheck.path", "only applies to HTTP health checks; this one is " + hc.type()));
                    }
                    if (hc.expectStatus() != null) {
                        v.add(new Violation(at + ".healthCheck.expectStatus", "only applies to HTTP health checks; this one is " + hc.type()));
                    }
                    if (hc.expectBody() != null) {
                        v.add(new Violation(at + ".healthCheck.expectBody", "only applies to HTTP health checks; this one is " + hc.type()));
                    }
                    if (hc.expectJson() != null) {
                        v.add(new Violation(at + ".healthCheck.expectJson", "only applies to HTTP health checks; this one is " + hc.type()));
                    }
                    if (hc.tls() != null) {
                        v.add(new Violation(at + ".healthCheck.tls", "only applies to HTTP health checks (a TLS check always speaks TLS); this one is "
                                + hc.type()));
                    }
                }
                if (hc.fastIntervalMs() != null && hc.intervalMs() != null && hc.fastIntervalMs() > hc.intervalMs()) {
                    v.add(new Violation(at + ".healthCheck.fastIntervalMs", "must not be more than intervalMs (" + hc.intervalMs() + ")"));
                }
                if (hc.downIntervalMs() != null && hc.intervalMs() != null && hc.downIntervalMs() < hc.intervalMs()) {
                    v.add(new Violation(at + ".healthCheck.downIntervalMs", "must not be less than intervalMs (" + hc.intervalMs() + ")"));
                }
            }
        }
        var f = t.freshness();
        if (f != null && f.timeoutMs() != null && f.intervalMs() != null && f.timeoutMs() >= f.intervalMs()) {
            v.add(new Violation("freshness.timeoutMs", "must be less than intervalMs (" + f.intervalMs() + ")"));
        }
        if (t.ingest() != null) {
            ingestRules(t, v);
        }
        return v;
    }

    /**
     * Headers that frame the message or concern one hop (RFC 9110 §7.6.1, RFC 9112): the proxy rewrites or drops them
     * on the way to each instance, so none can carry a record's idempotency key.
     */
    private static final Set<String> FRAMING_HEADERS = Set.of("content-length", "transfer-encoding", "connection", "host", "upgrade",
            "te", "keep-alive", "proxy-connection", "trailer");

    private static void ingestRules(Topology t, List<Violation> v) {
        Ingest ingest = t.ingest();
        if (t.tlsMode() == TlsMode.PASSTHROUGH) {
            v.add(new Violation("ingest", "needs tlsMode TERMINATE: in PASSTHROUGH the proxy relays TLS bytes and cannot see "
                    + "which requests carry records"));
        }
        if (ingest.idempotencyHeader() != null && FRAMING_HEADERS.contains(ingest.idempotencyHeader().toLowerCase(Locale.ROOT))) {
            v.add(new Violation("ingest.idempotencyHeader", "'" + ingest.idempotencyHeader()
                    + "' frames the message or concerns one hop, and the proxy rewrites it; name a header of its own, such as Idempotency-Key"));
        }
        List<IngestRoute> routes = ingest.routes() == null ? List.of() : ingest.routes();
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < routes.size(); i++) {
            IngestRoute r = routes.get(i);
            if (r == null || r.method() == null || r.pathPrefix() == null) {
                continue;
            }
            Integer j = seen.putIfAbsent(r.method() + " " + r.pathPrefix(), i);
            if (j != null) {
                v.add(new Violation("ingest.routes[" + i + "]", r.method() + " " + r.pathPrefix() + " is also ingest.routes[" + j
                        + "]; each route once"));
            }
        }
    }

    // backends[2] before backends[10]: indexes compare as numbers.
    private static String sortKey(Violation v) {
        return v.field() == null ? "" : INDEX.matcher(v.field()).replaceAll(m -> "[" + "%09d".formatted(Long.parseLong(m.group(1))) + "]");
    }

    private static final java.util.regex.Pattern INDEX = java.util.regex.Pattern.compile("\\[(\\d+)\\]");

    /** Without repeats, ordered by field path so the same input always lists the same way. */
    private static List<Violation> dedupe(List<Violation> violations) {
        List<Violation> list = new ArrayList<>(new LinkedHashSet<>(violations));
        list.sort(Comparator.comparing(TopologyValidator::sortKey));
        return List.copyOf(list);
    }
}
