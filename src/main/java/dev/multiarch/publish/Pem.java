package dev.multiarch.publish;

import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One PEM block (RFC 7468): its label ({@code PRIVATE KEY}, {@code PUBLIC KEY}…) and its decoded bytes. */
record Pem(String label, byte[] der) {
    private static final Pattern BLOCK =
            Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----\\s*(.*?)\\s*-----END \\1-----", Pattern.DOTALL);

    /**
     * The first PEM block of {@code text}.
     *
     * @param what for messages: "the signing key /etc/multiarch/cosign.key"
     * @throws KeyFileException when there is none or its body is not base64
     */
    static Pem parse(String text, String what) {
        Matcher m = BLOCK.matcher(text);
        if (!m.find()) {
            throw new KeyFileException(what + " is not a PEM file (no -----BEGIN …----- / -----END …----- block)");
        }
        try {
            return new Pem(m.group(1), Base64.getMimeDecoder().decode(m.group(2)));
        } catch (IllegalArgumentException e) {
            throw new KeyFileException(what + ": the " + m.group(1) + " block is not base64");
        }
    }
}
