package dev.multiarch.registry;

import java.util.List;
import java.util.regex.Pattern;

/**
 * What we know about a hosted registry, as data rather than branches: where its API lives and how large its upload
 * chunks may or must be. Each row cites where the fact comes from (see also {@code package-info.java}). A registry
 * that matches no row (a self-hosted distribution, Harbor, zot…) gets {@link #GENERIC}: its name is its API host and
 * the distribution-spec rules apply as written.
 *
 * @param name           for messages and the README table
 * @param hosts          the registry names (as written in image references) this row covers
 * @param apiHost        where the registry's API is, when it is not the name itself; null otherwise
 * @param chunkedUploads whether the registry takes {@code PATCH} chunks (Artifact Registry does not)
 * @param maxChunkBytes  the largest {@code PATCH} body it takes; 0 for no known limit
 * @param minChunkBytes  the smallest {@code PATCH} body it takes, the last chunk excepted; 0 for none
 */
record RegistryProfile(
        String name, Pattern hosts, String apiHost, boolean chunkedUploads, long maxChunkBytes, long minChunkBytes) {
    private static final long MIB = 1024 * 1024;

    /** A registry we know nothing special about. */
    static final RegistryProfile GENERIC = new RegistryProfile("registry", Pattern.compile(".*"), null, true, 0, 0);

    static final List<RegistryProfile> KNOWN = List.of(
            // docker/docs content/manuals/docker-hub/usage/pulls.md: the API is registry-1.docker.io, tokens come
            // from auth.docker.io for service registry.docker.io; index.docker.io answers too.
            new RegistryProfile(
                    "Docker Hub",
                    Pattern.compile("docker\\.io|index\\.docker\\.io|registry-1\\.docker\\.io"),
                    "registry-1.docker.io",
                    true,
                    0,
                    0),
            // ocx-sh/ocx#237, cirruslabs/tart#159: a PATCH body over 4 MiB is answered 416.
            new RegistryProfile("GitHub Container Registry", Pattern.compile("ghcr\\.io"), null, true, 4 * MIB, 0),
            // ECR stores chunks as S3 multipart parts: at least 5 MiB each but the last (dotnet/sdk Registry.cs).
            new RegistryProfile(
                    "Amazon ECR",
                    Pattern.compile("[0-9]{12}\\.dkr\\.ecr(-fips)?\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?"),
                    null,
                    true,
                    0,
                    5 * MIB),
            // Artifact Registry's Docker API reference: "chunked uploads are not supported" (quoted in
            // dotnet/sdk-container-builds#287).
            new RegistryProfile(
                    "Google Artifact Registry", Pattern.compile("[a-z0-9-]+-docker\\.pkg\\.dev"), null, false, 0, 0),
            new RegistryProfile("Quay", Pattern.compile("quay\\.io"), null, true, 0, 0));

    /** The row for a registry name as written in references ({@code docker.io}, {@code ghcr.io}, {@code host:5000}). */
    static RegistryProfile of(String registry) {
        String r = registry.toLowerCase(java.util.Locale.ROOT);
        for (RegistryProfile p : KNOWN) {
            if (p.hosts.matcher(r).matches()) {
                return p;
            }
        }
        return GENERIC;
    }

    /** The {@code host[:port]} to send this registry's API requests to. */
    String apiHost(String registry) {
        return apiHost == null ? registry : apiHost;
    }

    /**
     * The chunk size to use: what was asked, within this registry's limits and the upload session's own minimum
     * ({@code OCI-Chunk-Min-Length}, distribution-spec "Pushing a blob in chunks"). A minimum wins over a maximum: a
     * chunk the registry calls too small is refused for certain.
     */
    long chunkSize(long wanted, long sessionMinimum) {
        long size = maxChunkBytes > 0 ? Math.min(wanted, maxChunkBytes) : wanted;
        return Math.max(size, Math.max(minChunkBytes, sessionMinimum));
    }
}
