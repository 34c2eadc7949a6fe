package io.dsha.proxy.http;

import io.dsha.proxy.ProxyConfig;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.KeyStoreOptions;
import io.vertx.core.net.PemKeyCertOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The data listener's certificate: PEM certificate + key, or a PKCS#12 keystore, read from files.
 * The content is loaded into memory so that a changed file yields different options and the
 * server's TLS context is really rebuilt on reload.
 */
public final class TlsMaterial {

    private final List<Path> files;
    private final Optional<String> password;
    private final boolean pem;

    private TlsMaterial(List<Path> files, Optional<String> password, boolean pem) {
        this.files = files;
        this.password = password;
        this.pem = pem;
    }

    /**
     * The TLS settings, checked: empty when plain HTTP is configured, else exactly one of the two
     * forms with readable files. Throws with a message naming the settings otherwise.
     */
    public static Optional<TlsMaterial> from(ProxyConfig config) {
        ProxyConfig.Tls tls = config.tls();
        boolean plain = config.listener().plainHttp();
        boolean anyPem = tls.certFile().isPresent() || tls.keyFile().isPresent();
        boolean anyStore = tls.keystoreFile().isPresent() || tls.keystorePassword().isPresent();
        List<String> problems = new ArrayList<>();
        if (plain && (anyPem || anyStore)) {
            problems.add("dsha.listener.plain-http=true contradicts the TLS settings (dsha.tls.*): choose one");
        } else if (!plain && !anyPem && !anyStore) {
            problems.add("the data listener needs a certificate: set dsha.tls.cert-file and dsha.tls.key-file (PEM), "
                    + "or dsha.tls.keystore-file and dsha.tls.keystore-password (PKCS#12); "
                    + "plain HTTP needs dsha.listener.plain-http=true (demos and tests only)");
        } else if (anyPem && anyStore) {
            problems.add("dsha.tls.cert-file/key-file and dsha.tls.keystore-file/keystore-password are alternatives: set one pair");
        } else if (anyPem) {
            require(tls.certFile(), "dsha.tls.cert-file", "dsha.tls.key-file", problems);
            require(tls.keyFile(), "dsha.tls.key-file", "dsha.tls.cert-file", problems);
        } else if (anyStore) {
            require(tls.keystoreFile(), "dsha.tls.keystore-file", "dsha.tls.keystore-password", problems);
            if (tls.keystorePassword().isEmpty()) {
                problems.add("dsha.tls.keystore-password is required with dsha.tls.keystore-file");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException(String.join("; ", problems));
        }
        if (plain) {
            return Optional.empty();
        }
        if (anyPem) {
            return Optional.of(new TlsMaterial(List.of(Path.of(tls.certFile().get()), Path.of(tls.keyFile().get())), Optional.empty(), true));
        }
        return Optional.of(new TlsMaterial(List.of(Path.of(tls.keystoreFile().get())), tls.keystorePassword(), false));
    }

    private static void require(Optional<String> file, String name, String pair, List<String> problems) {
        if (file.isEmpty()) {
            problems.add(name + " is required with " + pair);
        } else if (!Files.isReadable(Path.of(file.get()))) {
            problems.add(name + " " + file.get() + " does not exist or is not readable");
        }
    }

    /** What identifies the files' current content: their sizes and modification times. */
    public List<Object> fingerprint() {
        List<Object> f = new ArrayList<>();
        for (Path p : files) {
            try {
                FileTime t = Files.getLastModifiedTime(p);
                f.add(p + "@" + t.toMillis() + "/" + Files.size(p));
            } catch (IOException e) {
                f.add(p + ": " + e.getMessage());
            }
        }
        return f;
    }

    /** The key material as it is on disk now. */
    public KeyCertOptions load() throws IOException {
        if (pem) {
            return new PemKeyCertOptions()
                    .setCertValue(Buffer.buffer(Files.readAllBytes(files.get(0))))
                    .setKeyValue(Buffer.buffer(Files.readAllBytes(files.get(1))));
        }
        return new KeyStoreOptions().setType("PKCS12").setPassword(password.orElse(""))
                .setValue(Buffer.buffer(Files.readAllBytes(files.get(0))));
    }

    public List<Path> files() {
        return files;
    }
}
