package dev.multiarch.access;

import dev.multiarch.config.ServiceConfig;
import dev.multiarch.config.ServiceConfig.Registry;
import dev.multiarch.config.ServiceConfig.RepositoryRule;
import dev.multiarch.registry.CredentialSource;
import dev.multiarch.registry.Credentials;
import dev.multiarch.registry.DockerConfig;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.registry.RegistryClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Registry credentials per tenant. A {@code registries:} entry with a {@code name:} serves only the repositories whose
 * {@code repositories:} rule names it; entries without a name serve their host for any repository the policy lets
 * publish there. The Docker config of the user running the coordinator is the last resort only in
 * {@link ServiceConfig#personal()} mode.
 */
public final class Registries implements AutoCloseable {
    private final ServiceConfig config;
    private final List<String> insecure;
    private final Map<String, RegistryClient> clients = new ConcurrentHashMap<>();
    private final RegistryClient.FailureListener failures;

    /** What a runner may use to push one job's image: one registry, one login (or none). */
    public record Grant(String registry, boolean insecure, Optional<Credentials> credentials) {
        @Override
        public String toString() {
            return "Grant[" + registry + (insecure ? ", insecure" : "")
                    + credentials.map(c -> ", user " + c.username()).orElse("") + "]";
        }
    }

    public Registries(ServiceConfig config) {
        this(config, RegistryClient.FailureListener.NONE);
    }

    /** @param failures told of every failed registry operation (the coordinator's metrics) */
    public Registries(ServiceConfig config, RegistryClient.FailureListener failures) {
        this.config = config;
        this.failures = failures;
        List<String> hosts = new ArrayList<>();
        for (Registry r : config.registries()) {
            if (r.insecure()) {
                hosts.add(r.host());
            }
        }
        this.insecure = List.copyOf(hosts);
    }

    /** The client to verify and publish an image with, holding only the credentials this tenant may use. */
    public RegistryClient client(Optional<RepositoryRule> rule) {
        String key = rule.map(RepositoryRule::registry).orElse("");
        return clients.computeIfAbsent(key, k -> RegistryClient.builder()
                .withCredentials(source(k))
                .withInsecure(insecure)
                .withFailureListener(failures)
                .create());
    }

    /** What the runner building a platform of {@code image} for this tenant gets to push it. */
    public Grant grant(ImageReference image, Optional<RepositoryRule> rule) {
        String host = image.registry();
        String key = rule.map(RepositoryRule::registry).orElse("");
        boolean insec = insecure.stream().anyMatch(h -> h.equalsIgnoreCase(host));
        return new Grant(host, insec, source(key).lookup(host));
    }

    private CredentialSource source(String registryName) {
        CredentialSource creds = CredentialSource.NONE;
        for (Registry r : config.registries()) {
            boolean serves = registryName.isEmpty() ? r.name() == null : registryName.equals(r.name());
            if (serves) {
                creds = creds.orElse(of(r));
            }
        }
        if (config.personal()) {
            creds = creds.orElse(DockerConfig.load(DockerConfig.defaultLocation()));
        }
        return creds;
    }

    private static CredentialSource of(Registry r) {
        if (r.username() != null) {
            return CredentialSource.forRegistry(r.host(), Credentials.basic(r.username(), r.password()));
        }
        if (r.dockerConfig() != null) {
            DockerConfig dc = DockerConfig.load(r.dockerConfig());
            String host = r.host();
            return h -> h.equalsIgnoreCase(host) ? dc.lookup(h) : Optional.empty();
        }
        return CredentialSource.NONE;
    }

    @Override
    public void close() {
        clients.values().forEach(RegistryClient::close);
        clients.clear();
    }
}
