package dev.multiarch.github;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.Base64;

/**
 * A GitHub App's JSON Web Token ("Generating a JSON Web Token for a GitHub App"): RS256, {@code iat} 60 s in the past
 * (clock drift), {@code exp} 9 minutes ahead (GitHub allows at most 10), {@code iss} the app id. The key is read as
 * GitHub hands it out — PKCS#1 PEM ({@code BEGIN RSA PRIVATE KEY}) — or as PKCS#8.
 */
public final class AppJwt {
    private final String appId;
    private final PrivateKey key;

    public AppJwt(String appId, PrivateKey key) {
        this.appId = appId;
        this.key = key;
    }

    public static AppJwt fromPemFile(String appId, Path pem) {
        try {
            return new AppJwt(appId, readPrivateKey(Files.readString(pem, StandardCharsets.US_ASCII)));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the GitHub App key " + pem + ": " + e.getMessage(), e);
        }
    }

    public String token(Instant now) {
        String header = b64("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String payload = b64(("{\"iat\":" + (now.getEpochSecond() - 60) + ",\"exp\":" + (now.getEpochSecond() + 540)
                        + ",\"iss\":\"" + appId + "\"}")
                .getBytes(StandardCharsets.UTF_8));
        try {
            Signature s = Signature.getInstance("SHA256withRSA");
            s.initSign(key);
            s.update((header + "." + payload).getBytes(StandardCharsets.US_ASCII));
            return header + "." + payload + "." + b64(s.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign the GitHub App JWT: " + e.getMessage(), e);
        }
    }

    private static String b64(byte[] b) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** PKCS#1 ("RSA PRIVATE KEY") or PKCS#8 ("PRIVATE KEY") PEM. */
    public static PrivateKey readPrivateKey(String pem) {
        boolean pkcs1 = pem.contains("-----BEGIN RSA PRIVATE KEY-----");
        if (!pkcs1 && !pem.contains("-----BEGIN PRIVATE KEY-----")) {
            throw new IllegalArgumentException("not a PEM private key: expected BEGIN RSA PRIVATE KEY (as GitHub hands "
                    + "it out) or BEGIN PRIVATE KEY");
        }
        String body =
                pem.replaceAll("-----(BEGIN|END) (RSA )?PRIVATE KEY-----", "").replaceAll("\\s", "");
        byte[] der = Base64.getDecoder().decode(body);
        try {
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pkcs1 ? wrapPkcs1(der) : der));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not a usable RSA private key: " + e.getMessage(), e);
        }
    }

    /**
     * PKCS#8 {@code PrivateKeyInfo} around a PKCS#1 {@code RSAPrivateKey} (RFC 5208 §5): SEQUENCE { INTEGER 0,
     * AlgorithmIdentifier rsaEncryption NULL, OCTET STRING pkcs1 }. The JDK reads only the PKCS#8 form.
     */
    static byte[] wrapPkcs1(byte[] pkcs1) {
        byte[] algorithm = {
            0x30,
            0x0d,
            0x06,
            0x09,
            0x2a,
            (byte) 0x86,
            0x48,
            (byte) 0x86,
            (byte) 0xf7,
            0x0d,
            0x01,
            0x01,
            0x01,
            0x05,
            0x00
        };
        byte[] version = {0x02, 0x01, 0x00};
        byte[] octets = der(0x04, pkcs1);
        byte[] inner = new byte[version.length + algorithm.length + octets.length];
        System.arraycopy(version, 0, inner, 0, version.length);
        System.arraycopy(algorithm, 0, inner, version.length, algorithm.length);
        System.arraycopy(octets, 0, inner, version.length + algorithm.length, octets.length);
        return der(0x30, inner);
    }

    private static byte[] der(int tag, byte[] content) {
        byte[] len;
        if (content.length < 128) {
            len = new byte[] {(byte) content.length};
        } else {
            byte[] n = BigInteger.valueOf(content.length).toByteArray();
            int skip = n[0] == 0 ? 1 : 0;
            len = new byte[n.length - skip + 1];
            len[0] = (byte) (0x80 | (n.length - skip));
            System.arraycopy(n, skip, len, 1, n.length - skip);
        }
        byte[] out = new byte[1 + len.length + content.length];
        out[0] = (byte) tag;
        System.arraycopy(len, 0, out, 1, len.length);
        System.arraycopy(content, 0, out, 1 + len.length, content.length);
        return out;
    }
}
