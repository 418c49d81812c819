package dev.multiarch.registry;

import java.util.Locale;

/**
 * The one place for manifest and config media types, and for comparing them: a Content-Type header may carry
 * parameters ({@code ; charset=utf-8}) and any case, so every comparison goes through {@link #normalize(String)}.
 */
public final class MediaType {
    private MediaType() {}

    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
    public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    /** OCI 1.1's empty descriptor ({@code {}}): the config of artifacts that have none. */
    public static final String OCI_EMPTY = "application/vnd.oci.empty.v1+json";
    /** cosign's "simple signing" payload, one per layer of a {@code sha256-<hex>.sig} manifest. */
    public static final String COSIGN_SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json";
    /** An in-toto Statement, unsigned (buildkit's attestation layers). */
    public static final String IN_TOTO = "application/vnd.in-toto+json";
    /** Docker schema 1: still served by old registries; we read nothing from it and never write it. */
    public static final String DOCKER_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws";

    /**
     * Every manifest type we understand, for {@code Accept}. distribution 2.8 answers a GET by tag without the list
     * types with the linux/amd64 child, and an OCI index with 404 unless its type is named: always send all four.
     */
    public static final String MANIFEST_ACCEPT =
            String.join(", ", OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST);

    /** Lowercased, parameters and surrounding space removed; null becomes "". */
    public static String normalize(String mediaType) {
        if (mediaType == null) {
            return "";
        }
        int semi = mediaType.indexOf(';');
        String t = semi >= 0 ? mediaType.substring(0, semi) : mediaType;
        return t.trim().toLowerCase(Locale.ROOT);
    }

    public static boolean isIndex(String mediaType) {
        String t = normalize(mediaType);
        return t.equals(OCI_INDEX) || t.equals(DOCKER_LIST);
    }

    public static boolean isImageManifest(String mediaType) {
        String t = normalize(mediaType);
        return t.equals(OCI_MANIFEST) || t.equals(DOCKER_MANIFEST);
    }

    public static boolean same(String a, String b) {
        return normalize(a).equals(normalize(b));
    }

    /** A short name for tables: "docker list", "oci index", "docker manifest", "oci manifest", or the type itself. */
    public static String shortName(String mediaType) {
        return switch (normalize(mediaType)) {
            case DOCKER_LIST -> "docker list";
            case OCI_INDEX -> "oci index";
            case DOCKER_MANIFEST -> "docker v2";
            case OCI_MANIFEST -> "oci manifest";
            default -> normalize(mediaType);
        };
    }
}
