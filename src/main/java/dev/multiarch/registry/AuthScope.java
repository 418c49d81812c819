package dev.multiarch.registry;

import java.util.List;
import java.util.TreeSet;

/**
 * The token scopes an operation needs (distribution "Token Scope Documentation"): e.g.
 * {@code repository:team/app:pull,push}. Carried on each okhttp request as a tag so the auth layer can attach a cached
 * token before sending, and ask for the right scope when challenged.
 */
record AuthScope(String registry, List<String> scopes) {
    AuthScope {
        scopes = List.copyOf(new TreeSet<>(scopes));
    }

    static String pull(String repository) {
        return "repository:" + repository + ":pull";
    }

    static String push(String repository) {
        return "repository:" + repository + ":pull,push";
    }

    /** The cache key for tokens: registry plus the sorted scopes. */
    String key() {
        return registry + " " + String.join(" ", scopes);
    }
}
