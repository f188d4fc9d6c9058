package io.ghmirror.server;

import io.ghmirror.config.Settings;
import io.ghmirror.config.SettingsException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/** Builds the listener: plain HTTP/1.1 and h2c, or TLS with HTTP/2 and HTTP/1.1 negotiated by ALPN. */
final class TlsConnectors {

    private static final Pattern PEM_KEY =
            Pattern.compile("-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

    private TlsConnectors() {}

    static ServerConnector create(Server server, Settings settings, HttpConfiguration http,
            ConnectionFactory... plainFactories) {
        Path cert = settings.access().tlsCert();
        Path key = settings.access().tlsKey();
        if (cert == null) {
            return new ServerConnector(server, plainFactories);
        }
        http.addCustomizer(new SecureRequestCustomizer(false));
        SslContextFactory.Server tls = new SslContextFactory.Server();
        tls.setKeyStore(keyStore(cert, key));
        tls.setKeyStorePassword("");
        tls.setCipherComparator(org.eclipse.jetty.http2.HTTP2Cipher.COMPARATOR);
        ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory("h2", "http/1.1");
        alpn.setDefaultProtocol("http/1.1");
        return new ServerConnector(server, new SslConnectionFactory(tls, alpn.getProtocol()), alpn,
                new HTTP2ServerConnectionFactory(http), new HttpConnectionFactory(http));
    }

    /**
     * Loads a PEM certificate chain and an unencrypted PKCS#8 private key (RSA or EC) into a key store.
     *
     * @throws SettingsException naming the file and the problem when either cannot be read
     */
    static KeyStore keyStore(Path certFile, Path keyFile) {
        Collection<? extends Certificate> chain;
        try {
            chain = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(certFile)));
        } catch (IOException | GeneralSecurityException e) {
            throw new SettingsException("Invalid value for TLS_CERT (--tls-cert): cannot read a PEM certificate chain from "
                    + certFile + ": " + e.getMessage());
        }
        if (chain.isEmpty()) {
            throw new SettingsException("Invalid value for TLS_CERT (--tls-cert): " + certFile
                    + " contains no PEM certificate.");
        }
        PrivateKey privateKey;
        try {
            String pem = Files.readString(keyFile, StandardCharsets.US_ASCII);
            Matcher matcher = PEM_KEY.matcher(pem);
            if (!matcher.find()) {
                throw new SettingsException("Invalid value for TLS_KEY (--tls-key): " + keyFile
                        + " contains no unencrypted PKCS#8 key (-----BEGIN PRIVATE KEY-----). Convert it with "
                        + "'openssl pkcs8 -topk8 -nocrypt -in key.pem -out key-pkcs8.pem'.");
            }
            byte[] der = Base64.getMimeDecoder().decode(matcher.group(1));
            privateKey = privateKey(der);
        } catch (IOException e) {
            throw new SettingsException("Invalid value for TLS_KEY (--tls-key): cannot read " + keyFile + ": "
                    + e.getMessage());
        }
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("mirror", privateKey, new char[0], chain.toArray(Certificate[]::new));
            return store;
        } catch (IOException | GeneralSecurityException e) {
            throw new SettingsException("Invalid TLS settings: the key in " + keyFile + " does not fit the certificate in "
                    + certFile + ": " + e.getMessage());
        }
    }

    private static PrivateKey privateKey(byte[] der) {
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        throw new SettingsException("Invalid value for TLS_KEY (--tls-key): the key is not an RSA, EC or Ed25519 PKCS#8 key.");
    }
}
