package dev.multiarch.registry;

import java.util.Optional;

/** Where credentials for a registry host come from: flags, a Docker config file, a credential helper. */
@FunctionalInterface
public interface CredentialSource {
    /**
     * @param registry the registry as written in references ({@code docker.io}, {@code ghcr.io}, {@code host:5000})
     */
    Optional<Credentials> lookup(String registry);

    CredentialSource NONE = r -> Optional.empty();

    /** This source first, then {@code next}. */
    default CredentialSource orElse(CredentialSource next) {
        return r -> {
            Optional<Credentials> c = lookup(r);
            return c.isPresent() ? c : next.lookup(r);
        };
    }

    /** Fixed credentials for one registry only (never sent to another host). */
    static CredentialSource forRegistry(String registry, Credentials c) {
        return r -> r.equalsIgnoreCase(registry) ? Optional.of(c) : Optional.empty();
    }
}
