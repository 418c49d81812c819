package dev.multiarch.web;

import static dev.multiarch.web.Layout.e;

import dev.multiarch.store.JobState;
import dev.multiarch.store.LogChunk;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The build page ({@code /builds/{id}}): the build, each platform's state, runner (native or QEMU), digest and size,
 * a timeline of where each platform's time went, the published index, and each platform's log (its end; collapsible).
 * Each part is a fragment of its own, rendered the same way for the page and for the live stream
 * ({@link BuildEvents}), whose script swaps the fragments in place and appends log text as it arrives. Everything
 * shown is escaped.
 */
final class BuildPage {
    private BuildPage() {}

    /** The parts the live stream replaces, by element id. */
    static Map<String, String> fragments(BuildView v, Map<Long, String> emulation) {
        return Map.of(
                "heading", heading(v),
                "summary", summary(v),
                "platforms", platforms(v, emulation),
                "timeline", timeline(v),
                "published", published(v));
    }

    /**
     * @param logs each job's log tail, in the order of {@code v.jobs()}
     */
    static String render(BuildView v, Map<Long, String> emulation, List<List<LogChunk>> logs, Layout.Nav nav) {
        StringBuilder cursors = new StringBuilder();
        for (int i = 0; i < v.jobs().size(); i++) {
            long seq = logs.get(i).stream().mapToLong(LogChunk::seq).max().orElse(0);
            cursors.append(i == 0 ? "" : ",")
                    .append(v.jobs().get(i).id())
                    .append('.')
                    .append(seq);
        }
        String live = v.terminal() ? "" : "data-events=\"/builds/" + v.id() + "/events?after=" + cursors + "\"";
        StringBuilder h = Layout.open("multiarch build " + v.id(), nav, live);
        Map<String, String> parts = fragments(v, emulation);
        for (String id : List.of("heading", "summary", "platforms", "timeline", "published")) {
            h.append("<div id=\"")
                    .append(id)
                    .append("\">")
                    .append(parts.get(id))
                    .append("</div>");
        }
        if (!v.jobs().isEmpty()) {
            h.append("<h2>Logs</h2>");
        }
        for (int i = 0; i < v.jobs().size(); i++) {
            BuildView.JobView j = v.jobs().get(i);
            StringBuilder text = new StringBuilder();
            logs.get(i).forEach(c -> text.append(c.text()));
            h.append("<details open id=\"job-")
                    .append(j.id())
                    .append("\"><summary>")
                    .append(e(j.platform()))
                    .append("</summary><pre class=log data-job=\"")
                    .append(j.id())
                    .append("\">")
                    .append(e(text.toString()))
                    .append("</pre></details>");
        }
        return Layout.close(h);
    }

    static String heading(BuildView v) {
        return "<h1>Build " + v.id() + " <span id=\"build-state\" class=\"" + e(v.state()) + "\">" + e(v.state())
                + "</span></h1>";
    }

    static String summary(BuildView v) {
        StringBuilder h = new StringBuilder("<table>");
        row(h, "repository", e(v.repo()) + (v.privateRepo() ? " (private)" : ""));
        row(h, "ref", "<code>" + e(v.ref()) + "</code>");
        row(h, "commit", "<code>" + e(v.commit()) + "</code>");
        row(h, "image", v.image() == null ? "-" : "<code>" + e(v.image()) + "</code>");
        row(h, "publishes", v.push() ? "yes: " + e(String.join(", ", v.plannedTags())) : "no (build and verify only)");
        if (v.error() != null) {
            row(h, "error", "<span class=failed>" + e(v.error()) + "</span>");
        }
        row(h, "created", e(v.createdAt()));
        if (v.seconds() != null) {
            row(h, "took", Layout.seconds(v.seconds()));
        }
        return h.append("</table>").toString();
    }

    /** What a platform's cell says: its job state, or {@code mislabeled} for an image verification refused. */
    static String cellState(BuildView.JobView j) {
        // A job that reported an image and was then failed is one the registry check refused: the image is not for
        // the platform it was built for (its config or its programs say otherwise).
        return j.state() == JobState.FAILED && j.digest() != null
                ? "mislabeled"
                : j.state().word();
    }

    static String platforms(BuildView v, Map<Long, String> emulation) {
        if (v.jobs().isEmpty()) {
            return "";
        }
        StringBuilder h = new StringBuilder("<h2>Platforms</h2><table><tr><th>platform</th><th>state</th>"
                + "<th>runner</th><th>attempt</th><th>digest</th><th>size</th><th>time</th><th>error</th></tr>");
        for (BuildView.JobView j : v.jobs()) {
            String state = cellState(j);
            String how = emulation.get(j.id());
            h.append("<tr data-job=\"")
                    .append(j.id())
                    .append("\"><td><a href=\"#job-")
                    .append(j.id())
                    .append("\">")
                    .append(e(j.platform()))
                    .append("</a></td><td class=\"")
                    .append(e(state))
                    .append("\" data-state=\"")
                    .append(e(state))
                    .append("\">")
                    .append(e(state))
                    .append("</td><td>")
                    .append(e(j.runner()))
                    .append(how == null ? "" : " (" + e(how) + ")")
                    .append("</td><td>")
                    .append(j.attempt())
                    .append("</td><td><code>")
                    .append(e(j.digest()))
                    .append("</code></td><td>")
                    .append(j.size() == null ? "" : bytes(j.size()))
                    .append("</td><td>")
                    .append(Layout.seconds(j.seconds()))
                    .append("</td><td>")
                    .append(e(j.error()))
                    .append("</td></tr>");
        }
        return h.append("</table>").toString();
    }

    /**
     * Where each platform's time went, as one bar per platform: a segment per step in the order the steps ran (queue
     * wait, fetch, build, export, audit, push, verify…: what the runner and the coordinator recorded), all bars on
     * one scale, the slowest platform's total. Each segment's title and the table under the bars give the seconds.
     */
    static String timeline(BuildView v) {
        Set<String> steps = new LinkedHashSet<>();
        long longest = 1;
        for (BuildView.JobView j : v.jobs()) {
            steps.addAll(j.timings().keySet());
            longest = Math.max(
                    longest,
                    j.timings().values().stream().mapToLong(Long::longValue).sum());
        }
        if (steps.isEmpty()) {
            return "";
        }
        StringBuilder h =
                new StringBuilder("<h2>Where the time went</h2><table><tr><th>platform</th><th>timeline" + "</th>");
        steps.forEach(s -> h.append("<th>").append(e(s)).append("</th>"));
        h.append("</tr>");
        for (BuildView.JobView j : v.jobs()) {
            h.append("<tr><td>").append(e(j.platform())).append("</td><td><div class=bar>");
            for (Map.Entry<String, Long> t : j.timings().entrySet()) {
                double pct = 100.0 * t.getValue() / longest;
                h.append("<span class=\"s-")
                        .append(e(t.getKey()))
                        .append("\" style=\"width:")
                        .append(String.format(java.util.Locale.ROOT, "%.2f", pct))
                        .append("%\" title=\"")
                        .append(e(t.getKey() + " " + Layout.millis(t.getValue())))
                        .append("\"></span>");
            }
            h.append("</div></td>");
            for (String s : steps) {
                Long ms = j.timings().get(s);
                h.append("<td>").append(ms == null ? "" : Layout.millis(ms)).append("</td>");
            }
            h.append("</tr>");
        }
        return h.append("</table>").toString();
    }

    /**
     * The published index: each entry's platform, digest and size, the tags it went to, and the tags kept back and
     * why. Other publication outcomes (mirrors) add their block here.
     */
    static String published(BuildView v) {
        String registries = RegistryOutcomes.rows(v.registries());
        if (v.indexDigest() == null && v.keptBack().isEmpty() && registries.isEmpty()) {
            return "";
        }
        StringBuilder h = new StringBuilder("<h2>Published</h2>");
        if (v.indexDigest() != null) {
            h.append("<p>Index <code id=\"index-digest\">")
                    .append(e(v.indexDigest()))
                    .append("</code>, each image verified in the registry: its config names the platform and the "
                            + "programs its build added are for it.</p><table><tr><th>platform</th><th>digest</th>"
                            + "<th>size</th></tr>");
            for (BuildView.JobView j : v.jobs()) {
                if (j.digest() != null && j.state() == JobState.SUCCEEDED) {
                    h.append("<tr class=entry><td>")
                            .append(e(j.platform()))
                            .append("</td><td><code>")
                            .append(e(j.digest()))
                            .append("</code></td><td>")
                            .append(j.size() == null ? "" : bytes(j.size()))
                            .append("</td></tr>");
                }
            }
            h.append("</table><p>Tags: ");
            for (int i = 0; i < v.publishedTags().size(); i++) {
                h.append(i == 0 ? "" : ", ")
                        .append("<code class=tag>")
                        .append(e(v.image() + ":" + v.publishedTags().get(i)))
                        .append("</code>");
            }
            h.append(v.publishedTags().isEmpty() ? "none" : "").append("</p>");
        }
        if (!registries.isEmpty()) {
            h.append("<p>Registries (the same index in each):</p><table id=registries>")
                    .append(registries)
                    .append("</table>");
        }
        if (!v.keptBack().isEmpty()) {
            h.append("<p>Kept back:</p><ul>");
            v.keptBack().forEach(k -> h.append("<li>").append(e(k)).append("</li>"));
            h.append("</ul>");
        }
        return h.toString();
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        if (n < 1024 * 1024) {
            return String.format(java.util.Locale.ROOT, "%.1f KiB", n / 1024.0);
        }
        return String.format(java.util.Locale.ROOT, "%.1f MiB", n / (1024.0 * 1024));
    }

    private static void row(StringBuilder h, String k, String v) {
        h.append("<tr><th>").append(k).append("</th><td>").append(v).append("</td></tr>");
    }
}
