package io.ghmirror.access;

import static org.assertj.core.api.Assertions.assertThat;

import io.ghmirror.fake.FakeGitHub;
import io.ghmirror.support.MirrorHarness;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The HTTPS listener: a self-signed certificate for 127.0.0.1 made with the JDK's keytool at test
 * time, served with {@code --tls-cert} and {@code --tls-key}, and reached over HTTP/1.1 and HTTP/2.
 */
class AccessTlsTest {

    private static final String STORE_PASSWORD = "test-only-password";

    @TempDir
    static Path directory;

    private static Path certFile;
    private static Path keyFile;
    private static SSLContext trustingContext;

    @BeforeAll
    static void createCertificate() throws Exception {
        Path keyStoreFile = directory.resolve("mirror.p12");
        runKeytool(List.of("-genkeypair", "-alias", "mirror", "-keyalg", "EC", "-groupname", "secp256r1",
                "-sigalg", "SHA256withECDSA", "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1,dns:localhost",
                "-validity", "2", "-storetype", "PKCS12", "-keystore", keyStoreFile.toString(),
                "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD));

        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStoreFile)) {
            keyStore.load(in, STORE_PASSWORD.toCharArray());
        }
        PrivateKey key = (PrivateKey) keyStore.getKey("mirror", STORE_PASSWORD.toCharArray());
        Certificate certificate = keyStore.getCertificate("mirror");
        assertThat(key.getFormat()).isEqualTo("PKCS#8");

        certFile = directory.resolve("cert.pem");
        keyFile = directory.resolve("key.pem");
        Files.writeString(certFile, pem("CERTIFICATE", certificate.getEncoded()), StandardCharsets.US_ASCII);
        Files.writeString(keyFile, pem("PRIVATE KEY", key.getEncoded()), StandardCharsets.US_ASCII);

        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("mirror", certificate);
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        trustingContext = SSLContext.getInstance("TLS");
        trustingContext.init(null, trust.getTrustManagers(), null);
    }

    @ParameterizedTest
    @EnumSource(value = HttpClient.Version.class, names = {"HTTP_1_1", "HTTP_2"})
    void httpsServesBothProtocols(HttpClient.Version version) throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--tls-cert=" + certFile,
                        "--tls-key=" + keyFile);
                HttpClient client = HttpClient.newBuilder().sslContext(trustingContext).version(version)
                        .connectTimeout(Duration.ofSeconds(5)).build()) {
            github.addRepository("octo/tls");
            String base = "https://127.0.0.1:" + mirror.port();

            HttpResponse<String> first = client.send(request(base + "/repos/octo/tls"),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> second = client.send(request(base + "/repos/octo/tls"),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(first.version()).isEqualTo(version);
            assertThat(first.statusCode()).isEqualTo(200);
            assertThat(first.body()).contains(base + "/repos/octo/tls");
            assertThat(second.headers().firstValue("X-Cache")).hasValue("HIT");
        }
    }

    @Test
    void healthzOverHttps() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--tls-cert=" + certFile,
                        "--tls-key=" + keyFile);
                HttpClient client = HttpClient.newBuilder().sslContext(trustingContext).build()) {
            HttpResponse<String> response = client.send(request("https://127.0.0.1:" + mirror.port() + "/healthz"),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
        }
    }

    @Test
    void untrustedClientFailsHandshake() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--tls-cert=" + certFile,
                        "--tls-key=" + keyFile);
                HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            URI uri = URI.create("https://127.0.0.1:" + mirror.port() + "/healthz");

            IOException failure = null;
            try {
                client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.discarding());
            } catch (IOException e) {
                failure = e;
            }

            assertThat(failure).as("a client that does not trust the self-signed certificate").isNotNull();
        }
    }

    private static HttpRequest request(String url) {
        return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).GET().build();
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /** Runs the JDK's keytool, bounded in time, and fails with its output when it does not succeed. */
    private static void runKeytool(List<String> arguments) throws Exception {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        assertThat(keytool).as("keytool of the running JDK").isExecutable();
        List<String> command = new java.util.ArrayList<>(List.of(keytool.toString()));
        command.addAll(arguments);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("keytool did not finish within 60 seconds");
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as("keytool exit status; output: " + output).isZero();
    }
}
