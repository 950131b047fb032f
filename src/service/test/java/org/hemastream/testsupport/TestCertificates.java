package org.hemastream.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * TEST SUPPORT: a server certificate for 127.0.0.1 generated for one test by the JDK's own {@code keytool} (run
 * as a process): a PKCS12 key store for Kafka, the same key and certificate as PEM files for HTTPS, and a
 * PKCS12 trust store that trusts the certificate. The certificate names 127.0.0.1 and localhost, so clients
 * keep host-name verification on.
 *
 * @param keyStore         PKCS12 with the key and certificate (alias {@code server})
 * @param trustStore       PKCS12 trusting the certificate
 * @param certPem          the certificate, PEM
 * @param keyPem           the private key, PEM (PKCS#8)
 * @param password         of both stores and the key
 */
public record TestCertificates(Path keyStore, Path trustStore, Path certPem, Path keyPem, String password) {

    /** Generates everything in {@code dir}. */
    public static TestCertificates generate(Path dir, String password) throws Exception {
        Path keyStore = dir.resolve("server.p12");
        Path trustStore = dir.resolve("truststore.p12");
        Path certPem = dir.resolve("server-cert.pem");
        Path keyPem = dir.resolve("server-key.pem");
        keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=127.0.0.1",
                "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", keyStore.toString(), "-storepass", password, "-keypass", password);
        keytool("-exportcert", "-rfc", "-alias", "server", "-keystore", keyStore.toString(), "-storepass", password,
                "-file", certPem.toString());
        keytool("-importcert", "-noprompt", "-alias", "server", "-file", certPem.toString(), "-storetype", "PKCS12",
                "-keystore", trustStore.toString(), "-storepass", password);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStore)) {
            ks.load(in, password.toCharArray());
        }
        PrivateKey key = (PrivateKey) ks.getKey("server", password.toCharArray());
        Files.writeString(keyPem, "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded())
                + "\n-----END PRIVATE KEY-----\n");
        return new TestCertificates(keyStore, trustStore, certPem, keyPem, password);
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("keytool " + args[0] + " failed: " + output);
        }
    }
}
