package dev.multiarch.publish;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.ECPublicKey;
import java.security.spec.X509EncodedKeySpec;

/** Public keys as {@code cosign.pub} holds them (PEM {@code PUBLIC KEY}), and checking ECDSA-SHA256 signatures. */
public final class PublicKeys {
    private PublicKeys() {}

    /** @throws KeyFileException when the file is not an ECDSA P-256 public key */
    public static ECPublicKey load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new KeyFileException("cannot read the public key " + file + ": " + e.getMessage(), e);
        }
        return parse(text, "the public key " + file);
    }

    public static ECPublicKey parse(String pem, String what) {
        Pem p = Pem.parse(pem, what);
        if (!p.label().equals("PUBLIC KEY")) {
            throw new KeyFileException(what + " holds a " + p.label() + "; expected a PUBLIC KEY (cosign.pub,"
                    + " or openssl pkey -pubout)");
        }
        PublicKey k;
        try {
            k = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(p.der()));
        } catch (GeneralSecurityException e) {
            throw new KeyFileException(what + " is not an ECDSA public key (multiarch signs with ECDSA P-256)");
        }
        ECPublicKey ec = (ECPublicKey) k;
        if (!SigningKey.isP256(ec.getParams())) {
            throw new KeyFileException(what + " is an ECDSA key on another curve than P-256");
        }
        return ec;
    }

    /** Whether {@code der} is a valid ECDSA-SHA256 signature of {@code payload}; false for malformed signatures. */
    public static boolean verify(ECPublicKey key, byte[] payload, byte[] der) {
        try {
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initVerify(key);
            s.update(payload);
            return s.verify(der);
        } catch (SignatureException e) {
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ECDSA verification is not available: " + e.getMessage(), e);
        }
    }
}
