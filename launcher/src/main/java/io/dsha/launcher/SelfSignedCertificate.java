package io.dsha.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A self-signed certificate made with the JDK's {@code keytool}: a PKCS#12 key store for the services and
 * the certificate as PEM for clients ({@code curl --cacert}). For the demo and tests only — devices built on
 * systems-on-chip refuse self-signed certificates; production needs a publicly trusted one.
 */
public record SelfSignedCertificate(Path keyStore, String password, Path pem) {

    public static final String SOC_WARNING = "WARNING: this certificate is self-signed, for the demo only. Devices built on systems-on-chip"
            + " (SoC) refuse self-signed certificates: in production the balancer (TERMINATE) or each instance (PASSTHROUGH)"
            + " needs a publicly trusted certificate for the FQDN.";

    /**
     * Makes {@code name.p12} and {@code name.crt} in {@code dir} for these DNS names (and 127.0.0.1), unless they exist.
     * The key store holds the private key: it is mode 0600 (and {@code dir}, when made here, 0700). keytool writes with
     * the umask's permissions, so it works in a private directory of its own and the key store is copied out into a
     * file that is private from its creation.
     */
    public static SelfSignedCertificate create(Path dir, String name, String password, List<String> dnsNames) {
        Path ks = dir.resolve(name + ".p12");
        Path pem = dir.resolve(name + ".crt");
        try {
            PrivateFiles.createDirectories(dir);
            if (!Files.exists(ks) || !Files.exists(pem)) {
                Files.deleteIfExists(ks);
                Path work = PrivateFiles.createTempDirectory(dir, ".keytool");
                try {
                    Path made = work.resolve(name + ".p12");
                    Path cert = work.resolve(name + ".crt");
                    StringBuilder san = new StringBuilder();
                    dnsNames.forEach(n -> san.append("dns:").append(n).append(','));
                    san.append("ip:127.0.0.1");
                    keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + dnsNames.get(0),
                            "-ext", "SAN=" + san, "-validity", "90", "-storetype", "PKCS12", "-keystore", made.toString(),
                            "-storepass", password, "-keypass", password);
                    keytool("-exportcert", "-rfc", "-alias", name, "-keystore", made.toString(), "-storepass", password, "-file", cert.toString());
                    PrivateFiles.write(ks, Files.readAllBytes(made));
                    Files.move(cert, pem, StandardCopyOption.REPLACE_EXISTING);
                } finally {
                    try (Stream<Path> left = Files.list(work)) {
                        left.forEach(PrivateFiles::deleteQuietly);
                    }
                    PrivateFiles.deleteQuietly(work);
                }
            } else {
                PrivateFiles.restrict(ks);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new SelfSignedCertificate(ks, password, pem);
    }

    private static void keytool(String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        try {
            if (p.waitFor() != 0) {
                throw new IllegalStateException("keytool failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
