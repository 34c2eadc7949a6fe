package io.dsha.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Network namespaces of one test run, made with iproute2 ({@code ip netns}, root only) and deleted by {@link #close}:
 * each name carries the run's random suffix, so runs side by side never meet, and nothing of them exists outside
 * their namespaces.
 */
final class Netns implements AutoCloseable {

    private final String suffix;
    private final List<String> made = new ArrayList<>();

    Netns(String suffix) {
        this.suffix = suffix;
    }

    /** Makes namespace {@code dsha-SUFFIX-ROLE} with its loopback up; fails the test, saying why, where that is not possible. */
    String add(String role) {
        String name = "dsha-" + suffix + "-" + role;
        Result r = run("ip", "netns", "add", name);
        if (r.code() != 0) {
            throw new AssertionError("FloatingAddressIT needs network namespaces (root, iproute2): ip netns add " + name + " failed: "
                    + r.output().strip());
        }
        made.add(name);
        exec(name, "ip", "link", "set", "lo", "up");
        return name;
    }

    /** Runs a command inside namespace {@code ns}; fails with its output when it fails. */
    static String exec(String ns, String... command) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(List.of(command));
        return check(run(cmd.toArray(String[]::new)), cmd);
    }

    /** Runs {@code ip ARGS...} in this (the test's) namespace; fails with its output when it fails. */
    static String ip(String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip"));
        cmd.addAll(List.of(args));
        return check(run(cmd.toArray(String[]::new)), cmd);
    }

    private static String check(Result r, List<String> cmd) {
        if (r.code() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed (" + r.code() + "): " + r.output().strip());
        }
        return r.output();
    }

    record Result(int code, String output) {
    }

    /** Runs a command to its end (10 s at most), its output and errors together. */
    static Result run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, out + "(did not end within 10 s)");
            }
            return new Result(p.exitValue(), out);
        } catch (IOException e) {
            return new Result(-1, String.valueOf(e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Deletes every namespace made (their processes must have ended first); says what it could not delete. */
    @Override
    public void close() {
        List<String> left = new ArrayList<>();
        for (String ns : made) {
            Result r = run("ip", "netns", "del", ns);
            if (r.code() != 0) {
                left.add(ns + ": " + r.output().strip());
            }
        }
        made.clear();
        if (!left.isEmpty()) {
            throw new IllegalStateException("namespaces not deleted: " + left);
        }
    }
}
