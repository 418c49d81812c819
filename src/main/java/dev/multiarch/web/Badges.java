package dev.multiarch.web;

import dev.multiarch.pipeline.BuildQueries;
import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.JobState;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * SVG badges for READMEs: {@code /badges/{owner}/{repo}.svg}, the state of the repository's newest build that
 * publishes (its last release), and {@code /badges/{owner}/{repo}/platforms.svg}, the platforms its {@code latest}
 * tag offers. Badges are for everyone (an image in a README has no session), so a private repository never gets
 * one: its badge is answered exactly as an unknown repository's, the same status, headers and bytes, so that
 * asking does not reveal it exists. A badge may be cached for a minute ({@code Cache-Control}). Every text in the
 * SVG is escaped for XML.
 */
final class Badges {
    /** GitHub's owner and repository names. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,100}");

    static final String CACHE = "public, max-age=60";

    private final BuildQueries queries;
    private final Replies replies;

    Badges(BuildQueries queries, Replies replies) {
        this.queries = queries;
        this.replies = replies;
    }

    /** What a badge shows; {@code found} false: the unknown-repository answer. */
    record Badge(boolean found, String label, String message, String colour) {
        static final Badge UNKNOWN = new Badge(false, "multiarch", "unknown repository", "#9f9f9f");
    }

    void state(RoutingContext ctx) {
        String file = ctx.pathParam("repo");
        String repo = file.endsWith(".svg") ? file.substring(0, file.length() - 4) : null;
        answer(ctx, () -> publicRepo(ctx.pathParam("owner"), repo)
                .map(name -> queries.latestBuildOfRepo(name, true)
                        .filter(b -> !b.privateRepo())
                        .map(b -> new Badge(true, "build", b.state().word(), colour(b)))
                        .orElse(new Badge(true, "build", "none yet", "#9f9f9f")))
                .orElse(Badge.UNKNOWN));
    }

    void platforms(RoutingContext ctx) {
        answer(ctx, () -> publicRepo(ctx.pathParam("owner"), ctx.pathParam("repo"))
                .map(name -> queries.tagHolder(name, "latest")
                        .filter(b -> !b.build().privateRepo())
                        .map(b -> {
                            List<String> ps = b.jobs().stream()
                                    .filter(j -> j.state() == JobState.SUCCEEDED)
                                    .map(j -> j.platform().shortForm())
                                    .toList();
                            return new Badge(true, "platforms", String.join(" | ", ps), "#0969da");
                        })
                        .orElse(new Badge(true, "platforms", "no latest", "#9f9f9f")))
                .orElse(Badge.UNKNOWN));
    }

    /**
     * Blocking: {@code owner/repo} when it names a repository with builds whose newest is public. A repository made
     * private since is judged by its newest build, so its old public builds stop being shown.
     */
    private Optional<String> publicRepo(String owner, String repo) {
        if (owner == null
                || repo == null
                || !NAME.matcher(owner).matches()
                || !NAME.matcher(repo).matches()) {
            return Optional.empty();
        }
        String name = owner + "/" + repo;
        return queries.latestBuildOfRepo(name, false)
                .filter(b -> !b.privateRepo())
                .map(b -> name);
    }

    private void answer(RoutingContext ctx, java.util.concurrent.Callable<Badge> work) {
        replies.blocking(ctx, work, b -> ctx.response()
                .setStatusCode(b.found() ? 200 : 404)
                .putHeader("Content-Type", "image/svg+xml; charset=utf-8")
                .putHeader("Cache-Control", CACHE)
                .putHeader("X-Content-Type-Options", "nosniff")
                .end(svg(b.label(), b.message(), b.colour())));
    }

    private static String colour(BuildRecord b) {
        return switch (b.state()) {
            case PUBLISHED -> "#1a7f37";
            case FAILED -> "#cf222e";
            case CANCELLED -> "#9f9f9f";
            default -> "#bf8700";
        };
    }

    /** A flat two-part badge; widths from the text length (about 7 px a character at 11 px Verdana). */
    static String svg(String label, String message, String colour) {
        int lw = 10 + 7 * label.length();
        int mw = 10 + 7 * message.length();
        String l = x(label);
        String m = x(message);
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + (lw + mw) + "\" height=\"20\" role=\"img\" "
                + "aria-label=\"" + l + ": " + m + "\"><title>" + l + ": " + m + "</title>"
                + "<rect width=\"" + lw + "\" height=\"20\" fill=\"#555\"/>"
                + "<rect x=\"" + lw + "\" width=\"" + mw + "\" height=\"20\" fill=\"" + x(colour) + "\"/>"
                + "<g fill=\"#fff\" text-anchor=\"middle\" font-family=\"Verdana,DejaVu Sans,sans-serif\" "
                + "font-size=\"11\"><text x=\"" + (lw / 2) + "\" y=\"14\">" + l + "</text>"
                + "<text x=\"" + (lw + mw / 2) + "\" y=\"14\">" + m + "</text></g></svg>";
    }

    /** Text for XML content and attributes. */
    static String x(String s) {
        return Layout.e(s);
    }
}
