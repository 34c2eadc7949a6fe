package io.dsha.proxy.http;

/**
 * Why the proxy answers instead of a backend, with the status that says it: 502 a backend failed
 * the exchange, 503 nothing available, 504 no answer in time, 413/431 the request is too large.
 */
record ProxyFailure(int status, String error, String reason) {

    static ProxyFailure unavailable(String reason) {
        return new ProxyFailure(503, "no backend available", reason);
    }

    static ProxyFailure badGateway(String reason) {
        return new ProxyFailure(502, "bad gateway", reason);
    }

    static ProxyFailure timeout(String reason) {
        return new ProxyFailure(504, "gateway timeout", reason);
    }

    static ProxyFailure tooLarge(String reason) {
        return new ProxyFailure(413, "request body too large", reason);
    }

    String json() {
        return "{\"status\":" + status + ",\"error\":\"" + escape(error) + "\",\"reason\":\"" + escape(reason) + "\"}";
    }

    private static String escape(String s) {
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
