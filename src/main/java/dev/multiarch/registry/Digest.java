package dev.multiarch.registry;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A content digest ({@code algorithm:hex}), validated when made: OCI image-spec "Digests" registers sha256 (64 hex)
 * and sha512 (128 hex), lowercase.
 */
public record Digest(String algorithm, String hex) {
    private static final Pattern HEX = Pattern.compile("[a-f0-9]+");

    public Digest {
        int expected =
                switch (algorithm) {
                    case "sha256" -> 64;
                    case "sha512" -> 128;
                    default ->
                        throw new IllegalArgumentException(
                                "unsupported digest algorithm '" + algorithm + "': expected sha256 or sha512");
                };
        if (hex.length() != expected || !HEX.matcher(hex).matches()) {
            throw new IllegalArgumentException("invalid " + algorithm + " digest '" + hex + "': expected " + expected
                    + " lowercase hex characters");
        }
    }

    /** Parses {@code sha256:<64 hex>}. */
    public static Digest parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("missing digest");
        }
        int colon = text.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("invalid digest '" + text + "': expected algorithm:hex, e.g. sha256:…");
        }
        return new Digest(text.substring(0, colon), text.substring(colon + 1));
    }

    /** The sha256 digest of exactly these bytes. */
    public static Digest sha256(byte[] bytes) {
        try {
            return new Digest(
                    "sha256",
                    HexFormat.of()
                            .formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM lacks SHA-256", e);
        }
    }

    /** Whether these bytes hash to this digest, with this digest's own algorithm. */
    public boolean matches(byte[] bytes) {
        try {
            String name = algorithm.equals("sha256") ? "SHA-256" : "SHA-512";
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance(name).digest(bytes))
                    .equals(hex);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM lacks " + algorithm, e);
        }
    }

    /** {@code sha256:abcdef012345} — 12 hex characters, for tables. */
    public String shortForm() {
        return algorithm + ":" + hex.substring(0, 12);
    }

    @Override
    public String toString() {
        return algorithm + ":" + hex;
    }
}
