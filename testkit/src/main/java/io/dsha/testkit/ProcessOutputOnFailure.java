package io.dsha.testkit;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * When a test fails, prints what every service process said while it ran (the proxy's or control
 * plane's log tells why far better than a timeout). Use with {@code @ExtendWith}.
 */
public final class ProcessOutputOnFailure implements BeforeTestExecutionCallback, AfterTestExecutionCallback {

    private final Map<JavaProcess, Integer> marks = new HashMap<>();

    @Override
    public void beforeTestExecution(ExtensionContext context) {
        JavaProcess.forgetClosed();
        marks.clear();
        for (JavaProcess p : JavaProcess.started()) {
            marks.put(p, p.output().length());
        }
    }

    @Override
    public void afterTestExecution(ExtensionContext context) {
        if (context.getExecutionException().isEmpty()) {
            return;
        }
        for (JavaProcess p : JavaProcess.started()) {
            String all = p.output();
            int from = Math.min(marks.getOrDefault(p, 0), all.length());
            System.err.println("--- " + p.name() + " output during " + context.getDisplayName() + " ---\n" + all.substring(from));
        }
    }
}
