package dev.multiarch.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.testing.Proc;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keys in every format the signer reads, each made by something other than multiarch: openssl at test time, and a
 * cosign-format key made once by {@code src/test/resources/signing/make-cosign-key.py} (OpenSSL's scrypt, libsodium's
 * secretbox). Signatures are checked by {@code openssl dgst -verify}.
 */
class SigningKeyTest {
    private static final String FIXTURE_PASSWORD = "multiarch-test-password";

    @TempDir
    Path dir;

    private static String resource(String name) throws IOException {
        try (InputStream in = SigningKeyTest.class.getResourceAsStream("/signing/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    private Path openssl(String name, String... args) {
        Path out = dir.resolve(name);
        List<String> cmd = new java.util.ArrayList<>(List.of(args));
        cmd.addAll(List.of("-out", out.toString()));
        Proc.ok(cmd);
        return out;
    }

    private Path p256() {
        return openssl("key.pem", "openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256");
    }

    /** openssl, not our code, checks the signature over the exact bytes. */
    private void assertOpensslVerifies(SigningKey key, Path publicPem) throws IOException {
        byte[] payload = "{\"critical\":{}}".getBytes(StandardCharsets.UTF_8);
        Files.write(dir.resolve("payload"), payload);
        Files.write(dir.resolve("sig.der"), key.sign(payload));
        Proc.Result ok = Proc.run(
                List.of(
                        "openssl",
                        "dgst",
                        "-sha256",
                        "-verify",
                        publicPem.toString(),
                        "-signature",
                        dir.resolve("sig.der").toString(),
                        dir.resolve("payload").toString()),
                null,
                60);
        assertEquals(0, ok.exit(), ok.err() + ok.out());
        Files.write(dir.resolve("payload"), "{\"critical\":{ }}".getBytes(StandardCharsets.UTF_8));
        Proc.Result tampered = Proc.run(
                List.of(
                        "openssl",
                        "dgst",
                        "-sha256",
                        "-verify",
                        publicPem.toString(),
                        "-signature",
                        dir.resolve("sig.der").toString(),
                        dir.resolve("payload").toString()),
                null,
                60);
        assertEquals(1, tampered.exit(), "openssl must refuse a changed payload");
    }

    @Test
    void cosignFormat_fixture_decryptsToTheKeyItsPublicFileNames() throws IOException {
        SigningKey key = SigningKey.parse(resource("test-cosign.key"), FIXTURE_PASSWORD.toCharArray(), "fixture");
        assertEquals(resource("test-cosign.pub"), key.publicKeyPem(), "the decrypted key is the fixture's");
        Path pub = dir.resolve("cosign.pub");
        Files.writeString(pub, resource("test-cosign.pub"));
        assertOpensslVerifies(key, pub);
    }

    @Test
    void cosignFormat_wrongPassword_saysSoAndNeverShowsThePassword() {
        KeyFileException e = assertThrows(
                KeyFileException.class,
                () -> SigningKey.parse(resource("test-cosign.key"), "not-the-password-42".toCharArray(), "the key k"));
        assertEquals("the key k cannot be decrypted: wrong password, or the file is damaged", e.getMessage());
        assertFalse(e.getMessage().contains("not-the-password-42"));
    }

    @Test
    void cosignFormat_damagedCiphertext_isRefused() throws IOException {
        String pem = resource("test-cosign.key");
        String body = pem.lines().filter(l -> !l.startsWith("-----")).reduce("", String::concat);
        String json = new String(java.util.Base64.getDecoder().decode(body), StandardCharsets.UTF_8);
        String flipped = json.replaceFirst(
                "\"ciphertext\":\"(.)", "\"ciphertext\":\"" + (json.contains("\"ciphertext\":\"A") ? "B" : "A"));
        String damaged = "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"
                + java.util.Base64.getEncoder().encodeToString(flipped.getBytes(StandardCharsets.UTF_8))
                + "\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n";
        KeyFileException e = assertThrows(
                KeyFileException.class, () -> SigningKey.parse(damaged, FIXTURE_PASSWORD.toCharArray(), "k"));
        assertTrue(e.getMessage().contains("cannot be decrypted"), e.getMessage());
    }

    @Test
    void pkcs8_plain_signsWhatOpensslVerifies() throws IOException {
        Path key = p256();
        Path pub = openssl("pub.pem", "openssl", "pkey", "-in", key.toString(), "-pubout");
        SigningKey k = SigningKey.load(key, new char[0]);
        assertEquals(Files.readString(pub), k.publicKeyPem(), "the public key derived from the private one");
        assertOpensslVerifies(k, pub);
    }

    @Test
    void pkcs8_encryptedPbes2_opensWithThePassword() throws IOException {
        Path key = p256();
        Path enc = openssl(
                "enc.pem",
                "openssl",
                "pkcs8",
                "-topk8",
                "-v2",
                "aes-256-cbc",
                "-in",
                key.toString(),
                "-passout",
                "pass:pbes2-password");
        assertTrue(Files.readString(enc).startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        Path pub = openssl("pub.pem", "openssl", "pkey", "-in", key.toString(), "-pubout");
        assertOpensslVerifies(SigningKey.load(enc, "pbes2-password".toCharArray()), pub);
        KeyFileException e = assertThrows(KeyFileException.class, () -> SigningKey.load(enc, "wrong".toCharArray()));
        assertEquals(
                "the signing key " + enc + " cannot be decrypted: wrong password, or the file is damaged",
                e.getMessage());
    }

    @Test
    void sec1_ecPrivateKey_isRead() throws IOException {
        Path key = openssl("sec1.pem", "openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout");
        assertTrue(Files.readString(key).startsWith("-----BEGIN EC PRIVATE KEY-----"));
        Path pub = openssl("pub.pem", "openssl", "ec", "-in", key.toString(), "-pubout");
        assertOpensslVerifies(SigningKey.load(key, new char[0]), pub);
    }

    @Test
    void otherCurvesAndAlgorithms_areRefusedNamingP256() {
        Path p384 =
                openssl("p384.pem", "openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384");
        assertEquals(
                "the signing key " + p384 + " is an ECDSA key on another curve than P-256 (cosign's default, and the"
                        + " only one multiarch signs with)",
                assertThrows(KeyFileException.class, () -> SigningKey.load(p384, new char[0]))
                        .getMessage());
        Path ed = openssl("ed.pem", "openssl", "genpkey", "-algorithm", "ED25519");
        assertTrue(assertThrows(KeyFileException.class, () -> SigningKey.load(ed, new char[0]))
                .getMessage()
                .contains("is not an ECDSA private key"));
    }

    @Test
    void notAKeyFile_isRefusedNamingIt() throws IOException {
        Path f = dir.resolve("cosign.pub");
        Files.writeString(f, "hello\n");
        assertEquals(
                "the signing key " + f + " is not a PEM file (no -----BEGIN …----- / -----END …----- block)",
                assertThrows(KeyFileException.class, () -> SigningKey.load(f, new char[0]))
                        .getMessage());
        Files.writeString(f, resource("test-cosign.pub"));
        assertTrue(assertThrows(KeyFileException.class, () -> SigningKey.load(f, new char[0]))
                .getMessage()
                .contains("holds a PUBLIC KEY"));
    }

    @Test
    void toString_showsNoKeyMaterial() throws IOException {
        assertEquals(
                "SigningKey[ECDSA P-256, private part <redacted>]",
                SigningKey.load(p256(), new char[0]).toString());
    }
}
