package io.dsha.proxy.ingest;

import java.nio.charset.StandardCharsets;

/**
 * What a data source is answered for a record: an instance's own answer (status, content type, body) when the
 * record was acknowledged or refused by it, or the proxy's {@code application/problem+json} when it could not be made
 * durable. {@code key}: the record's idempotency key (the source's, or the one the proxy gave it). {@code backend}:
 * whose answer it is, or null for the proxy's.
 */
public record IngestAnswer(int status, String contentType, byte[] body, String key, String backend) {

    static IngestAnswer problem(int status, String title, String detail, String key) {
        String json = "{\"type\":\"about:blank\",\"title\":\"" + escape(title) + "\",\"status\":" + status + ",\"detail\":\""
                + escape(detail) + "\"" + (key == null ? "" : ",\"idempotencyKey\":\"" + escape(key) + "\"") + "}";
        return new IngestAnswer(status, io.dsha.api.problem.Problem.MEDIA_TYPE, json.getBytes(StandardCharsets.UTF_8), key, null);
    }

    /** {@code s} as the inside of a JSON string. */
    public static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 8);
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }
}
