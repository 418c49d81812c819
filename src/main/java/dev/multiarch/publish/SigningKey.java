package dev.multiarch.publish;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.EncryptedPrivateKeyInfo;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.crypto.ec.CustomNamedCurves;

/**
 * The ECDSA P-256 key multiarch signs with (cosign's default key type), read once from a PEM file:
 * <ul>
 *   <li>{@code ENCRYPTED SIGSTORE PRIVATE KEY} / {@code ENCRYPTED COSIGN PRIVATE KEY}: what
 *       {@code cosign generate-key-pair} writes (see {@link CosignKeyFile});</li>
 *   <li>{@code PRIVATE KEY}: PKCS#8, as {@code openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256}
 *       writes;</li>
 *   <li>{@code ENCRYPTED PRIVATE KEY}: PKCS#8 encrypted with PBES2 ({@code openssl pkcs8 -topk8 -v2 aes-256-cbc});</li>
 *   <li>{@code EC PRIVATE KEY}: SEC 1 ({@code openssl ecparam -genkey}).</li>
 * </ul>
 * A signature is ASN.1 DER ECDSA over SHA-256 of the exact bytes, as sigstore's {@code ecdsa.SignASN1} makes it. The
 * key signs and verifies a test message when loaded, so a damaged key fails at start, not at the first release.
 */
public final class SigningKey {
    private final ECPrivateKey key;
    private final ECPublicKey publicKey;

    private SigningKey(ECPrivateKey key, ECPublicKey publicKey) {
        this.key = key;
        this.publicKey = publicKey;
    }

    /**
     * @param password for encrypted keys; may be empty (cosign allows an empty password), never logged
     * @throws KeyFileException naming the file and the problem
     */
    public static SigningKey load(Path file, char[] password) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new KeyFileException("cannot read the signing key " + file + ": " + e.getMessage(), e);
        }
        return parse(text, password, "the signing key " + file);
    }

    /** @param what for messages: where the PEM text came from */
    public static SigningKey parse(String pem, char[] password, String what) {
        Pem p = Pem.parse(pem, what);
        byte[] pkcs8 =
                switch (p.label()) {
                    case "ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY" ->
                        CosignKeyFile.decrypt(p.der(), password, what);
                    case "PRIVATE KEY" -> p.der();
                    case "ENCRYPTED PRIVATE KEY" -> pbes2(p.der(), password, what);
                    case "EC PRIVATE KEY" -> sec1ToPkcs8(p.der(), what);
                    default ->
                        throw new KeyFileException(what + " holds a " + p.label() + "; expected cosign's ENCRYPTED"
                                + " SIGSTORE PRIVATE KEY or a PKCS#8 PRIVATE KEY (ECDSA P-256)");
                };
        try {
            return of(pkcs8, what);
        } finally {
            Arrays.fill(pkcs8, (byte) 0);
        }
    }

    private static SigningKey of(byte[] pkcs8, String what) {
        PrivateKey k;
        try {
            k = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException e) {
            throw new KeyFileException(
                    what + " is not an ECDSA private key (cosign signs with ECDSA P-256): " + e.getMessage());
        }
        ECPrivateKey ec = (ECPrivateKey) k;
        if (!isP256(ec.getParams())) {
            throw new KeyFileException(what + " is an ECDSA key on another curve than P-256 (cosign's default, and"
                    + " the only one multiarch signs with)");
        }
        SigningKey sk = new SigningKey(ec, publicFor(ec));
        byte[] probe = "multiarch signing key check".getBytes(StandardCharsets.US_ASCII);
        if (!PublicKeys.verify(sk.publicKey, probe, sk.sign(probe))) {
            throw new KeyFileException(what + " does not sign: its public part does not verify its signature");
        }
        return sk;
    }

    /** DER ECDSA-SHA256 over {@code payload}. */
    public byte[] sign(byte[] payload) {
        try {
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initSign(key);
            s.update(payload);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ECDSA signing failed: " + e.getMessage(), e);
        }
    }

    public ECPublicKey publicKey() {
        return publicKey;
    }

    /** The public key as {@code cosign.pub} holds it (SubjectPublicKeyInfo, PEM), for {@code cosign verify --key}. */
    public String publicKeyPem() {
        return "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(publicKey.getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
    }

    @Override
    public String toString() {
        return "SigningKey[ECDSA P-256, private part <redacted>]";
    }

    static boolean isP256(ECParameterSpec spec) {
        ECParameterSpec p256 = p256();
        return spec.getOrder().equals(p256.getOrder())
                && spec.getGenerator().equals(p256.getGenerator())
                && spec.getCurve().equals(p256.getCurve());
    }

    static ECParameterSpec p256() {
        try {
            AlgorithmParameters a = AlgorithmParameters.getInstance("EC");
            a.init(new ECGenParameterSpec("secp256r1"));
            return a.getParameterSpec(ECParameterSpec.class);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no P-256", e);
        }
    }

    /** Q = d·G: PKCS#8 may leave the public point out, so it is computed rather than read. */
    private static ECPublicKey publicFor(ECPrivateKey k) {
        var q = CustomNamedCurves.getByName("P-256").getG().multiply(k.getS()).normalize();
        BigInteger x = q.getAffineXCoord().toBigInteger();
        BigInteger y = q.getAffineYCoord().toBigInteger();
        try {
            return (ECPublicKey)
                    KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(new ECPoint(x, y), k.getParams()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** PKCS#8 {@code EncryptedPrivateKeyInfo} with PBES2, decrypted by the JDK. */
    private static byte[] pbes2(byte[] der, char[] password, String what) {
        try {
            EncryptedPrivateKeyInfo info = new EncryptedPrivateKeyInfo(der);
            AlgorithmParameters params = info.getAlgParameters();
            // For PBES2 the JDK names the scheme by its parameters: PBEWithHmacSHA256AndAES_256 and the like.
            String alg = params == null ? info.getAlgName() : params.toString();
            SecretKeyFactory f = SecretKeyFactory.getInstance(alg);
            Cipher c = Cipher.getInstance(alg);
            c.init(Cipher.DECRYPT_MODE, f.generateSecret(new PBEKeySpec(password)), params);
            return info.getKeySpec(c).getEncoded();
        } catch (java.security.spec.InvalidKeySpecException e) {
            throw new KeyFileException(what + " cannot be decrypted: wrong password, or the file is damaged");
        } catch (GeneralSecurityException | IOException e) {
            throw new KeyFileException(what + ": an encrypted PKCS#8 key this JDK cannot open (" + e.getMessage()
                    + "); use PBES2 with AES (openssl pkcs8 -topk8 -v2 aes-256-cbc) or cosign's format");
        }
    }

    /** SEC 1 {@code ECPrivateKey} wrapped in PKCS#8, with the curve its parameters name. */
    private static byte[] sec1ToPkcs8(byte[] der, String what) {
        try {
            var sec1 = org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(der);
            if (sec1.getParametersObject() == null) {
                throw new KeyFileException(what + ": the EC PRIVATE KEY names no curve; convert it with"
                        + " openssl pkcs8 -topk8 -nocrypt");
            }
            return new PrivateKeyInfo(
                            new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, sec1.getParametersObject()),
                            sec1)
                    .getEncoded();
        } catch (IOException | IllegalArgumentException e) {
            throw new KeyFileException(what + ": the EC PRIVATE KEY block is not SEC 1 DER");
        }
    }
}
