package dev.multiarch.publish;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.base.Json;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.Set;
import org.bouncycastle.crypto.engines.XSalsa20Engine;
import org.bouncycastle.crypto.generators.SCrypt;
import org.bouncycastle.crypto.macs.Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;

/**
 * Opens the body of cosign's {@code ENCRYPTED SIGSTORE PRIVATE KEY} (and older {@code ENCRYPTED COSIGN PRIVATE KEY})
 * PEM block: JSON from go-securesystemslib's {@code encrypted} package,
 * <pre>
 * {"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":B64},
 *  "cipher":{"name":"nacl/secretbox","nonce":B64},"ciphertext":B64}
 * </pre>
 * The key is scrypt(password, salt, N, r, p) of 32 bytes; the ciphertext is NaCl's secretbox (XSalsa20 with the
 * 24-byte nonce, Poly1305 tag first, keyed by the first 32 bytes of the key stream); the plaintext is PKCS#8 DER.
 * The scrypt parameters are go-securesystemslib's: N of 2^15 (legacy), 2^16 (default) or 2^17, r 8, p 1.
 */
final class CosignKeyFile {
    private CosignKeyFile() {}

    private static final Set<Integer> SCRYPT_N = Set.of(1 << 15, 1 << 16, 1 << 17);
    private static final int TAG = 16;

    /**
     * @return PKCS#8 DER
     * @throws KeyFileException for a file of another shape, and for a wrong password (the tag does not verify)
     */
    static byte[] decrypt(byte[] body, char[] password, String what) {
        JsonNode j;
        try {
            j = Json.parse(body);
        } catch (RuntimeException e) {
            throw new KeyFileException(what + ": the encrypted key is not the JSON cosign writes");
        }
        String kdf = j.at("/kdf/name").asText("");
        String cipher = j.at("/cipher/name").asText("");
        if (!kdf.equals("scrypt") || !cipher.equals("nacl/secretbox")) {
            throw new KeyFileException(what + ": encrypted with " + kdf + " and " + cipher
                    + "; cosign's format is scrypt and nacl/secretbox");
        }
        int n = j.at("/kdf/params/N").asInt(0);
        int r = j.at("/kdf/params/r").asInt(0);
        int p = j.at("/kdf/params/p").asInt(0);
        if (!SCRYPT_N.contains(n) || r != 8 || p != 1) {
            throw new KeyFileException(what + ": scrypt parameters N=" + n + ", r=" + r + ", p=" + p
                    + " are not cosign's (N 32768, 65536 or 131072; r 8; p 1)");
        }
        byte[] salt = base64(j.at("/kdf/salt"), "salt", what);
        byte[] nonce = base64(j.at("/cipher/nonce"), "nonce", what);
        byte[] sealed = base64(j.path("ciphertext"), "ciphertext", what);
        if (nonce.length != 24 || sealed.length < TAG) {
            throw new KeyFileException(what + ": the nonce must be 24 bytes and the ciphertext at least 16");
        }
        byte[] pass = utf8(password);
        byte[] key = SCrypt.generate(pass, salt, n, r, p, 32);
        Arrays.fill(pass, (byte) 0);
        try {
            return open(key, nonce, sealed, what);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    /** NaCl {@code crypto_secretbox_open}: tag (16 bytes) then ciphertext. */
    private static byte[] open(byte[] key, byte[] nonce, byte[] sealed, String what) {
        int len = sealed.length - TAG;
        XSalsa20Engine salsa = new XSalsa20Engine();
        salsa.init(false, new ParametersWithIV(new KeyParameter(key), nonce));
        byte[] stream = new byte[32 + len];
        salsa.processBytes(new byte[stream.length], 0, stream.length, stream, 0);
        Poly1305 mac = new Poly1305();
        mac.init(new KeyParameter(stream, 0, 32));
        mac.update(sealed, TAG, len);
        byte[] tag = new byte[TAG];
        mac.doFinal(tag, 0);
        if (!MessageDigest.isEqual(tag, Arrays.copyOfRange(sealed, 0, TAG))) {
            Arrays.fill(stream, (byte) 0);
            throw new KeyFileException(what + " cannot be decrypted: wrong password, or the file is damaged");
        }
        byte[] plain = new byte[len];
        for (int i = 0; i < len; i++) {
            plain[i] = (byte) (sealed[TAG + i] ^ stream[32 + i]);
        }
        Arrays.fill(stream, (byte) 0);
        return plain;
    }

    private static byte[] base64(JsonNode n, String field, String what) {
        try {
            return Base64.getDecoder().decode(n.asText(""));
        } catch (IllegalArgumentException e) {
            throw new KeyFileException(what + ": the " + field + " is not base64");
        }
    }

    /** Go's {@code []byte(password)}: the UTF-8 bytes. */
    private static byte[] utf8(char[] password) {
        ByteBuffer b = StandardCharsets.UTF_8.encode(CharBuffer.wrap(password));
        byte[] out = new byte[b.remaining()];
        b.get(out);
        if (b.hasArray()) {
            Arrays.fill(b.array(), (byte) 0);
        }
        return out;
    }
}
