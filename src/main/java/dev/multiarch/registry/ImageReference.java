package dev.multiarch.registry;

import java.util.Locale;
import java.util.regex.Pattern;
import okhttp3.HttpUrl;

/**
 * A reference to an image as docker writes it: {@code [registry/]repository[:tag][@digest]}. The first path
 * component is a registry when it contains a dot or a colon or is {@code localhost}; otherwise the registry is Docker
 * Hub and one-component names live under {@code library/} (docker's reference normalisation).
 */
public record ImageReference(String registry, String repository, String tag, Digest digest) {
    public static final String DOCKER_HUB = "docker.io";
    /** distribution/reference's NameTotalLengthMax: registry and repository together. */
    static final int MAX_NAME = 255;

    private static final Pattern REPOSITORY =
            Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*");
    private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
    /** distribution/reference's {@code domainAndPort}: DNS labels or a bracketed IPv6 address, then a port. */
    private static final Pattern REGISTRY = Pattern.compile(
            "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
                    + "|\\[[a-fA-F0-9:.]+])(?::[0-9]{1,5})?");

    /**
     * The registry host is lower-cased (host names are case-insensitive). Docker Hub's other names become {@code docker.io} and its one-component names get {@code library/}, however the
     * reference was made, so that credentials, token scopes and API paths see one spelling.
     */
    public ImageReference {
        // Host names are case-insensitive: one spelling here, so that tag owners, publish locks and duplicate checks
        // (exact string comparisons) see GHCR.IO and ghcr.io as one registry. Repository paths stay as written (they
        // are refused when not lowercase).
        registry = registry.toLowerCase(Locale.ROOT);
        if (registry.equals("index.docker.io") || registry.equals("registry-1.docker.io")) {
            registry = DOCKER_HUB;
        }
        if (registry.equals(DOCKER_HUB) && !repository.contains("/")) {
            repository = "library/" + repository;
        }
        // Checked here, not where it is used: a host okhttp cannot make a URL of would otherwise fail in the middle
        // of a publish, far from the file that named it. The URL check catches ports over 65535 and bad IPv6.
        if (!REGISTRY.matcher(registry).matches() || HttpUrl.parse("https://" + registry + "/v2/") == null) {
            throw new IllegalArgumentException("invalid registry '" + registry
                    + "': expected a host name or [IPv6 address], optionally with :port (at most 65535)");
        }
        if (registry.length() + 1 + repository.length() > MAX_NAME) {
            throw new IllegalArgumentException("the name " + registry + "/"
                    + repository.substring(0, Math.min(40, repository.length())) + "… is "
                    + (registry.length() + 1 + repository.length()) + " characters long; at most " + MAX_NAME);
        }
        if (!REPOSITORY.matcher(repository).matches()) {
            throw new IllegalArgumentException("invalid repository name '" + repository
                    + "': lowercase letters, digits and separators (. _ __ -) between path components");
        }
        if (tag != null && !TAG.matcher(tag).matches()) {
            throw new IllegalArgumentException("invalid tag '" + tag
                    + "': up to 128 of letters, digits, '_', '.', '-', not starting with '.' or '-'");
        }
    }

    public static ImageReference parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("missing image reference");
        }
        String rest = text.trim();
        Digest digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = Digest.parse(rest.substring(at + 1));
            rest = rest.substring(0, at);
        }
        String tag = null;
        int slash = rest.lastIndexOf('/');
        int colon = rest.lastIndexOf(':');
        if (colon > slash) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
        }
        String registry = DOCKER_HUB;
        int first = rest.indexOf('/');
        if (first > 0) {
            String head = rest.substring(0, first);
            if (head.contains(".") || head.contains(":") || head.equals("localhost")) {
                registry = head;
                rest = rest.substring(first + 1);
            }
        }
        if (!rest.equals(rest.toLowerCase())) {
            throw new IllegalArgumentException("invalid reference '" + text + "': repository names must be lowercase");
        }
        return new ImageReference(registry, rest, tag, digest);
    }

    /** The same repository, at a tag. */
    public ImageReference withTag(String newTag) {
        return new ImageReference(registry, repository, newTag, null);
    }

    /** The same repository, at a digest. */
    public ImageReference withDigest(Digest d) {
        return new ImageReference(registry, repository, null, d);
    }

    /** What goes after {@code /manifests/}: the digest if there is one, else the tag, else {@code latest}. */
    public String manifestReference() {
        if (digest != null) {
            return digest.toString();
        }
        return tag != null ? tag : "latest";
    }

    /** The host to talk to: Docker Hub's API lives at registry-1.docker.io ({@link RegistryProfile}). */
    public String apiHost() {
        return RegistryProfile.of(registry).apiHost(registry);
    }

    public boolean sameRepository(ImageReference other) {
        return registry.equals(other.registry) && repository.equals(other.repository);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(registry).append('/').append(repository);
        if (tag != null) {
            b.append(':').append(tag);
        }
        if (digest != null) {
            b.append('@').append(digest);
        }
        return b.toString();
    }
}
