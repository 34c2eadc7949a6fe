package io.dsha.proxy.listener;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509KeyManager;

/**
 * The data listener's key manager. The TLS context is built once around it and a certificate
 * reload swaps what it delegates to, so new handshakes get the new certificate at once and open
 * connections are untouched. (Rebuilding the context instead, with Vert.x 4.5's
 * {@code HttpServer.updateSSLOptions}, leaves a window while the new context is built in which
 * every accepted connection is closed at once: {@code TCPServerBase} hands new channels the
 * not-yet-completed future.) Aliases carry the generation they were chosen from, so a handshake
 * that straddles a swap still gets the certificate and key of one pair.
 */
public final class ReloadableKeyManager extends X509ExtendedKeyManager {

    private record Generation(long id, X509KeyManager keys) {
    }

    private volatile Generation current;
    private volatile Generation previous;

    /** New handshakes use these keys from now on. */
    public synchronized void use(X509KeyManager keys) {
        Generation now = current;
        previous = now;
        current = new Generation(now == null ? 0 : now.id() + 1, keys);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        Generation g = current;
        return tag(g, g.keys().chooseServerAlias(keyType, issuers, socket));
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        Generation g = current;
        String alias = g.keys() instanceof X509ExtendedKeyManager x ? x.chooseEngineServerAlias(keyType, issuers, engine)
                : g.keys().chooseServerAlias(keyType, issuers, null);
        return tag(g, alias);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        Generation g = current;
        String[] aliases = g.keys().getServerAliases(keyType, issuers);
        return aliases == null ? null : Arrays.stream(aliases).map(a -> tag(g, a)).toArray(String[]::new);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        Generation g = generation(alias);
        return g == null ? null : g.keys().getCertificateChain(untag(alias));
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        Generation g = generation(alias);
        return g == null ? null : g.keys().getPrivateKey(untag(alias));
    }

    /** A server's key manager: no client certificates. */
    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return null;
    }

    private static String tag(Generation g, String alias) {
        return alias == null ? null : g.id() + "/" + alias;
    }

    private static String untag(String alias) {
        return alias.substring(alias.indexOf('/') + 1);
    }

    private Generation generation(String alias) {
        int slash = alias == null ? -1 : alias.indexOf('/');
        if (slash <= 0) {
            return null;
        }
        long id;
        try {
            id = Long.parseLong(alias.substring(0, slash));
        } catch (NumberFormatException e) {
            return null;
        }
        for (Generation g : new Generation[] {current, previous}) {
            if (g != null && g.id() == id) {
                return g;
            }
        }
        return null;
    }
}
