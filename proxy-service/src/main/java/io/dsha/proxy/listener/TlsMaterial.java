package io.dsha.proxy.listener;

import io.dsha.proxy.config.ProxyConfig;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.KeyStoreOptions;
import io.vertx.core.net.PemKeyCertOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.KeyManager;
import javax.net.ssl.X509KeyManager;

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
     * The TLS settings, checked: empty when plain HTTP is configured or no certificate at all (a
     * proxy for PASSTHROUGH topologies holds no key; {@link FrontServer} refuses to terminate TLS
     * without one), else exactly one of the two forms with readable files. Throws with a message
     * naming the settings otherwise.
     */
    public static Optional<TlsMaterial> from(ProxyConfig config) {
        ProxyConfig.Tls tls = config.tls();
        boolean plain = config.listener().plainHttp();
        boolean anyPem = tls.certFile().isPresent() || tls.keyFile().isPresent();
        boolean anyStore = tls.keystoreFile().isPresent() || tls.keystorePassword().isPresent();
        List<String> problems = new ArrayList<>();
        if (plain && (anyPem || anyStore)) {
            problems.add("dsha.listener.plain-http=true contradicts the TLS settings (dsha.tls.*): choose one");
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
        if (plain || (!anyPem && !anyStore)) {
            return Optional.empty(); // plain HTTP, or no certificate at all: only a PASSTHROUGH topology can be served
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

    /**
     * The key material as it is on disk now, checked: it must parse, and each private key must belong
     * to its certificate. A key that does not (say, a renewal that has replaced one file of the pair
     * but not yet the other) would still make a TLS context, and every handshake would then fail.
     */
    public X509KeyManager load(Vertx vertx) throws IOException {
        KeyCertOptions options;
        if (pem) {
            options = new PemKeyCertOptions()
                    .setCertValue(Buffer.buffer(Files.readAllBytes(files.get(0))))
                    .setKeyValue(Buffer.buffer(Files.readAllBytes(files.get(1))));
        } else {
            options = new KeyStoreOptions().setType("PKCS12").setPassword(password.orElse(""))
                    .setValue(Buffer.buffer(Files.readAllBytes(files.get(0))));
        }
        String what = pem ? "dsha.tls.cert-file " + files.get(0) + " and dsha.tls.key-file " + files.get(1)
                : "dsha.tls.keystore-file " + files.get(0);
        X509KeyManager keys = null;
        try {
            for (KeyManager km : options.getKeyManagerFactory(vertx).getKeyManagers()) {
                if (km instanceof X509KeyManager x) {
                    keys = x;
                    break;
                }
            }
        } catch (Exception e) {
            throw new IOException(what + " cannot be loaded: " + e.getMessage(), e);
        }
        if (keys == null) {
            throw new IOException(what + " holds no X.509 key");
        }
        for (String type : KEY_TYPES) {
            String[] aliases = keys.getServerAliases(type, null);
            for (String alias : aliases == null ? new String[0] : aliases) {
                X509Certificate[] chain = keys.getCertificateChain(alias);
                PrivateKey key = keys.getPrivateKey(alias);
                if (chain != null && chain.length > 0 && key != null && !belongTogether(key, chain[0].getPublicKey())) {
                    throw new IOException(what + ": the private key does not belong to the certificate "
                            + chain[0].getSubjectX500Principal() + " (serial " + chain[0].getSerialNumber().toString(16) + ")");
                }
            }
        }
        return keys;
    }

    private static final List<String> KEY_TYPES = List.of("RSA", "EC", "EdDSA", "Ed25519", "Ed448", "DSA", "RSASSA-PSS");

    /** Signs a probe with the private key and verifies it with the certificate's public key. Unknown key types pass. */
    private static boolean belongTogether(PrivateKey key, PublicKey pub) {
        String alg = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "DSA" -> "SHA256withDSA";
            case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
            default -> null;
        };
        if (alg == null) {
            return true;
        }
        try {
            byte[] probe = "dsha key/certificate check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(alg);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(alg);
            verifier.initVerify(pub);
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    public List<Path> files() {
        return files;
    }
}
