package io.dsha.etcd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The gateway's JSON, read and written with Jackson's tree model (nothing bound by reflection, so nothing to register
 * for native images). Its conventions: bytes are base64, int64s are JSON strings, enums are their names, field names
 * are the protobuf ones (snake_case; {@code ID} and {@code TTL} as they are in the .proto), and a field at its default
 * value (0, false, empty, the first enum value such as PUT) is left out of an answer: a missing field reads as that
 * default here.
 */
final class EtcdJson {

    static final ObjectMapper MAPPER = new ObjectMapper();

    private EtcdJson() {
    }

    static JsonNode parse(byte[] json) throws IOException {
        return MAPPER.readTree(json);
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /** An int64 field: a JSON string (the gateway's way) or a number; 0 where missing. */
    static long int64(JsonNode parent, String field) {
        return number(parent, field, false);
    }

    /** A uint64 field (member and cluster ids): its 64 bits in a long, so ids of 2^63 and more are negative. */
    static long uint64(JsonNode parent, String field) {
        return number(parent, field, true);
    }

    private static long number(JsonNode parent, String field, boolean unsigned) {
        JsonNode n = parent.path(field);
        if (n.isMissingNode() || n.isNull()) {
            return 0;
        }
        if (n.isIntegralNumber() && n.canConvertToLong()) {
            return n.longValue();
        }
        try {
            return unsigned ? Long.parseUnsignedLong(n.asText()) : Long.parseLong(n.asText());
        } catch (NumberFormatException e) {
            throw new IllegalStateException("etcd's \"" + field + "\" is no " + (unsigned ? "u" : "") + "int64: " + n, e);
        }
    }

    static long headerRevision(JsonNode answer) {
        return int64(answer.path("header"), "revision");
    }

    static ObjectNode rangeRequest(Bytes key, Bytes rangeEnd) {
        ObjectNode n = object().put("key", key.base64());
        if (!rangeEnd.isEmpty()) {
            n.put("range_end", rangeEnd.base64());
        }
        return n;
    }

    static ObjectNode putRequest(Bytes key, Bytes value, long lease) {
        ObjectNode n = object().put("key", key.base64()).put("value", value.base64());
        if (lease != 0) {
            n.put("lease", Long.toString(lease));
        }
        return n;
    }

    static ObjectNode txnRequest(List<Compare> compares, List<Op> success, List<Op> failure) {
        ObjectNode n = object();
        ArrayNode c = n.putArray("compare");
        for (Compare cmp : compares) {
            c.add(compare(cmp));
        }
        ops(n.putArray("success"), success);
        ops(n.putArray("failure"), failure);
        return n;
    }

    /** {"key":..,"target":"MOD","result":"EQUAL","mod_revision":"5"}: the compared field is named after the target. */
    private static ObjectNode compare(Compare cmp) {
        ObjectNode n = object().put("key", cmp.key().base64()).put("target", cmp.target().name()).put("result", cmp.result().name());
        switch (cmp.target()) {
            case VALUE -> n.put("value", cmp.value().base64());
            case VERSION -> n.put("version", Long.toString(cmp.number()));
            case CREATE -> n.put("create_revision", Long.toString(cmp.number()));
            case MOD -> n.put("mod_revision", Long.toString(cmp.number()));
            case LEASE -> n.put("lease", Long.toString(cmp.number()));
            default -> throw new IllegalArgumentException(cmp.target().name());
        }
        return n;
    }

    private static void ops(ArrayNode into, List<Op> ops) {
        for (Op op : ops) {
            ObjectNode n = into.addObject();
            if (op instanceof Op.Range r) {
                n.set("request_range", rangeRequest(r.key(), r.rangeEnd()));
            } else if (op instanceof Op.Put p) {
                n.set("request_put", putRequest(p.key(), p.value(), p.lease()));
            } else if (op instanceof Op.Delete d) {
                n.set("request_delete_range", rangeRequest(d.key(), d.rangeEnd()));
            }
        }
    }

    static KeyValue keyValue(JsonNode n) {
        return new KeyValue(Bytes.fromBase64(n.path("key").asText(null)), Bytes.fromBase64(n.path("value").asText(null)),
                int64(n, "create_revision"), int64(n, "mod_revision"), int64(n, "version"), int64(n, "lease"));
    }

    static RangeResult rangeResult(JsonNode answer) {
        List<KeyValue> kvs = new ArrayList<>();
        for (JsonNode kv : answer.path("kvs")) {
            kvs.add(keyValue(kv));
        }
        return new RangeResult(headerRevision(answer), kvs, int64(answer, "count"), answer.path("more").asBoolean(false));
    }

    static DeleteResult deleteResult(JsonNode answer) {
        return new DeleteResult(headerRevision(answer), int64(answer, "deleted"));
    }

    /** {"succeeded":true,"responses":[{"response_range":{..}},{"response_put":{..}}]}; succeeded is left out when false. */
    static TxnResult txnResult(JsonNode answer) {
        List<OpResult> results = new ArrayList<>();
        for (JsonNode r : answer.path("responses")) {
            if (r.has("response_range")) {
                results.add(rangeResult(r.get("response_range")));
            } else if (r.has("response_put")) {
                results.add(new PutResult(headerRevision(r.get("response_put"))));
            } else if (r.has("response_delete_range")) {
                results.add(deleteResult(r.get("response_delete_range")));
            } else {
                throw new IllegalStateException("a transaction response of an unknown kind: " + r);
            }
        }
        return new TxnResult(answer.path("succeeded").asBoolean(false), headerRevision(answer), results);
    }

    /** The events of one watch response; a DELETE event's type is named, a PUT's (the enum's default) is left out. */
    static List<WatchEvent> watchEvents(JsonNode result) {
        long revision = headerRevision(result);
        List<WatchEvent> events = new ArrayList<>();
        for (JsonNode e : result.path("events")) {
            WatchEvent.Type type = "DELETE".equals(e.path("type").asText("PUT")) ? WatchEvent.Type.DELETE : WatchEvent.Type.PUT;
            events.add(new WatchEvent(type, keyValue(e.path("kv")), revision));
        }
        return events;
    }

    /**
     * An error answer's parts: {"error":"..","code":14,"message":".."} for a unary call, {"error":{"grpc_code":14,
     * "http_code":503,"message":".."}} inside a stream; null when {@code answer} is no error.
     */
    static Error error(JsonNode answer) {
        JsonNode e = answer.path("error");
        if (e.isObject()) {
            return new Error(e.path("grpc_code").asInt(-1), e.path("http_code").asInt(0), e.path("message").asText(""));
        }
        if (e.isTextual() || answer.has("code") && answer.has("message")) {
            return new Error(answer.path("code").asInt(-1), 0, answer.path("message").asText(e.asText("")));
        }
        return null;
    }

    /** {@code httpStatus}: 0 where the error did not give one. */
    record Error(int grpcCode, int httpStatus, String message) {
    }
}
