package io.dsha.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class StackTest {

    @Test
    void theListenerIsReadFromTheProxysReadinessJson() {
        String ready = """
                {"status": "UP", "checks": [{"name": "routing", "status": "UP",
                  "data": {"controlPlane": "connected", "revision": 4, "listener": "https://0.0.0.0:8443", "tlsMode": "TERMINATE"}}]}""";
        assertEquals("https://0.0.0.0:8443", Stack.readyListener(ready));
        assertNull(Stack.readyListener("""
                {"status": "DOWN", "checks": [{"name": "routing", "status": "DOWN", "data": {"controlPlane": "unreachable"}}]}"""));
        assertNull(Stack.readyListener("not json"));
    }
}
