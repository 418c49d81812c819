package dev.multiarch.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.base.Json;

/**
 * The keys by which later events find a GitHub build, read once from its trigger JSON when it is stored (and from old
 * rows by migration V7) into indexed columns: the repository, the commit, the pull request, the webhook delivery and
 * the check suite. The JSON is the GitHub integration's {@code Origin} ({@code repo}, {@code sha}, {@code pr},
 * {@code delivery}; {@code checkSuite} once it carries one): read by name here so that the store does not depend
 * on the integration. A build whose trigger JSON has no {@code repo} (the API, the command line) has no keys.
 */
record OriginKeys(String repo, String commit, Integer pullRequest, String delivery, Long checkSuite) {
    static final OriginKeys NONE = new OriginKeys(null, null, null, null, null);

    static OriginKeys of(String triggerJson) {
        if (triggerJson == null || triggerJson.isBlank()) {
            return NONE;
        }
        JsonNode n;
        try {
            n = Json.MAPPER.readTree(triggerJson);
        } catch (JsonProcessingException e) {
            return NONE;
        }
        String repo = text(n, "repo");
        if (repo == null) {
            return NONE;
        }
        int pr = n.path("pr").asInt(0);
        long suite = n.path("checkSuite").asLong(0);
        return new OriginKeys(repo, text(n, "sha"), pr > 0 ? pr : null, text(n, "delivery"), suite > 0 ? suite : null);
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || !v.isTextual() || v.asText().isEmpty() ? null : v.asText();
    }
}
