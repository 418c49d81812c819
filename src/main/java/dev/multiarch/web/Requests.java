package dev.multiarch.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.base.Json;
import dev.multiarch.platform.InvalidPlatformException;
import dev.multiarch.platform.Platform;
import dev.multiarch.source.CloneUrl;
import dev.multiarch.source.Git;
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

    /** Refuses a request whose Content-Length is over the API's limit before its body is read. */
    static void declaredLength(RoutingContext ctx) {
        String length = ctx.request().getHeader("Content-Length");
        if (length != null) {
            long n;
            try {
                n = Long.parseLong(length.trim());
            } catch (NumberFormatException e) {
                ctx.fail(new HttpError(400, "Content-Length is not a number"));
                return;
            }
            if (n > CoordinatorServer.API_BODY_LIMIT) {
                ctx.fail(413);
                return;
            }
        }
        ctx.next();
    }

    /**
     * A route handler before the body handler: a request without {@code Authorization: Bearer …} is answered 401
     * before its body is read (the token itself is checked by the route, once the body is there).
     */
    static void requireBearer(RoutingContext ctx) {
        try {
            bearer(ctx);
        } catch (HttpError e) {
            ctx.fail(e);
            return;
        }
        ctx.next();
    }

    static String bearer(RoutingContext ctx) {
        String h = ctx.request().getHeader("Authorization");
        if (h == null || !h.startsWith("Bearer ") || h.substring(7).isBlank()) {
            throw new HttpError(401, "missing Authorization: Bearer <token>");
        }
        return h.substring(7).trim();
    }

    /**
     * Operations only an administrator may do (trigger, cancel): {@code server.admin-token}, compared in constant time.
     * The runner registration secret does not open them: every runner host holds that one.
     */
    static void requireAdmin(RoutingContext ctx, String adminToken) {
        String given = bearer(ctx);
        if (adminToken == null) {
            throw new HttpError(
                    403,
                    "triggering and cancelling builds is disabled: set server.admin-token in the"
                            + " coordinator's config.yaml");
        }
        if (!sameSecret(given, adminToken)) {
            throw new HttpError(403, "this needs the coordinator's admin token (server.admin-token)");
        }
    }

    private static final java.util.regex.Pattern LOOPBACK_HTTP = java.util.regex.Pattern.compile(
            "http://(127\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}|localhost|\\[::1])(:[0-9]{1,5})?/.*");

    /**
     * Where runners may be told to fetch from: {@code https://}, or {@code http://} to this machine; a local path only
     * where the operator allowed local sources ({@code store.allow-local-sources}, a person's own
     * {@code multiarch build}). Anything else ({@code ext::}, {@code file://},
     * {@code ssh://}, an argument such as {@code --upload-pack=…}) is refused before it reaches git.
     */
    static String sourceUrl(String url, boolean localSources) {
        if (USERINFO.matcher(url).find()) {
            // Not echoed: the part before '@' is a password, and the builds' pages would show it as the repository.
            throw new HttpError(
                    400,
                    "cloneUrl must not carry a user name or password (user:password@host); the coordinator hands"
                            + " runners what they need to fetch a private repository");
        }
        if (url.startsWith("https://") && url.length() > "https://".length() && !url.contains(" ")) {
            return checked(url, localSources);
        }
        if (LOOPBACK_HTTP.matcher(url).matches()) {
            return checked(url, localSources);
        }
        if (localSources && (url.startsWith("/") || url.startsWith("file:///")) && !url.contains("\n")) {
            return checked(url, localSources);
        }
        throw new HttpError(400, "cloneUrl must be https:// (or http:// to this machine), got '" + url + "'");
    }

    /** An http(s) URL whose authority has an '@' in it: user info. */
    private static final java.util.regex.Pattern USERINFO =
            java.util.regex.Pattern.compile("^[Hh][Tt][Tt][Pp][Ss]?://[^/?#]*@");

    /** What the runners' git will be given, checked the way they check it ({@link CloneUrl}) before it is stored. */
    private static String checked(String url, boolean localSources) {
        try {
            CloneUrl.parse(url, localSources);
        } catch (Git.GitException e) {
            throw new HttpError(400, "cloneUrl: " + e.getMessage());
        }
        return url;
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
