package dev.multiarch.github;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.multiarch.base.Json;

/**
 * Where a build came from on GitHub, kept with the build (its trigger info) so that its checks go to the right
 * repository, commit and installation, and so that later events find it (a closed pull request, a re-run).
 *
 * @param installation 0 when authenticating with a token
 * @param pr           0 when not a pull request
 * @param fork         the source is a fork's: untrusted, its jobs get no credentials of any kind
 * @param delivery     the webhook delivery that asked for the build (so processing it again builds nothing twice)
 * @param configRef    where {@code .multiarch.yaml} was read: the commit itself, or for a fork's pull request the
 *                     base branch's commit (a re-run reads it there again); null in rows older than this field
 */
public record Origin(
        String repo,
        String sha,
        long installation,
        int pr,
        String workflow,
        boolean fork,
        String delivery,
        String configRef) {
    public String toJson() {
        try {
            return Json.MAPPER.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The origin of a build, or null for builds that did not come from GitHub. */
    public static Origin of(String triggerInfo) {
        if (triggerInfo == null || triggerInfo.isBlank()) {
            return null;
        }
        try {
            Origin o = Json.MAPPER.readValue(triggerInfo, Origin.class);
            return o == null || o.repo() == null ? null : o; // the JSON text "null" reads as no object
        } catch (JsonProcessingException e) {
            return null;
        }
    }
}
