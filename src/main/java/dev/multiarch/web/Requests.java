package dev.multiarch.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.base.Json;
import dev.multiarch.platform.InvalidPlatformException;
import dev.multiarch.platform.Platform;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * Reading what a request carries. Whatever is missing or malformed becomes an {@link HttpError} that names it (400),
 * or says which credential is missing (401) or wrong (403); a bad input never reaches the coordinator as a 500.
 */
final class Requests {
    private Requests() {}

    /**
     * The JSON body as {@code type}.
     *
     * @param required fields that must be present and not null (Jackson would quietly make a missing number 0)
     */
    static <T> T body(RoutingContext ctx, Class<T> type, String... required) {
        String what = type.getSimpleName();
        String text = ctx.body().asString();
        if (text == null || text.isBlank()) {
            throw new HttpError(400, "expected a JSON body (" + what + ")");
        }
        try {
            JsonNode n = Json.MAPPER.readTree(text);
            if (!n.isObject()) {
                throw new HttpError(
                        400,
                        "expected a JSON object (" + what + "), got "
                                + n.getNodeType().name().toLowerCase());
            }
            for (String field : required) {
                if (!n.hasNonNull(field)) {
                    throw new HttpError(400, what + ": '" + field + "' is required");
                }
            }
            return Json.MAPPER.treeToValue(n, type);
        } catch (JsonProcessingException e) {
            throw new HttpError(400, "malformed " + what + ": " + e.getOriginalMessage());
        }
    }

    /** The {@code :id} of the path. */
    static long id(RoutingContext ctx) {
        String text = ctx.pathParam("id");
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new HttpError(400, "not an id: '" + text + "' (expected a number)");
        }
    }

    /** A query parameter that must be a whole number ≥ 0 when given. */
    static int count(RoutingContext ctx, String name, int absent) {
        String text = ctx.request().getParam(name);
        if (text == null) {
            return absent;
        }
        try {
            int n = Integer.parseInt(text);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below, with the negative case
        }
        throw new HttpError(400, "?" + name + "=" + text + ": expected a whole number ≥ 0");
    }

    static String bearer(RoutingContext ctx) {
        String h = ctx.request().getHeader("Authorization");
        if (h == null || !h.startsWith("Bearer ") || h.substring(7).isBlank()) {
            throw new HttpError(401, "missing Authorization: Bearer <token>");
        }
        return h.substring(7).trim();
    }

    /** Operations that only whoever holds the registration secret may do (trigger, cancel). */
    static void requireSecret(RoutingContext ctx, String secret) {
        if (!sameSecret(bearer(ctx), secret)) {
            throw new HttpError(403, "this needs the coordinator's registration secret");
        }
    }

    /** Compares in constant time, so the answer's timing does not tell how much of a guess was right. */
    static boolean sameSecret(String given, String secret) {
        return MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), secret.getBytes(StandardCharsets.UTF_8));
    }

    /** Validated platforms; {@code field} names the list in the message. */
    static List<Platform> platforms(List<String> texts, String field) {
        List<Platform> out = new ArrayList<>();
        for (String t : texts == null ? List.<String>of() : texts) {
            try {
                out.add(Platform.parse(t).validate());
            } catch (InvalidPlatformException e) {
                throw new HttpError(400, field + ": " + e.getMessage());
            }
        }
        return out;
    }
}
