package dev.multiarch.web;

import java.util.List;

/**
 * The build page ({@code /builds/{id}}): each platform's state, runner, attempt, digest and log, and the published
 * index. While the build runs the page reloads itself every two seconds, so the log is live. Plain HTML; everything
 * shown is escaped.
 */
final class BuildPage {
    private BuildPage() {}

    /**
     * The line at the top of every page: who is signed in and a way out, or a way in (back to {@code here}) when the
     * coordinator lets people sign in.
     */
    record Nav(boolean signIn, String login, String here) {
        String html() {
            StringBuilder h = new StringBuilder("<p><a href=\"/builds\">all builds</a>");
            if (login != null) {
                h.append(" · signed in as <b>")
                        .append(e(login))
                        .append("</b> <form method=post action=\"/logout\" style=\"display:inline\">"
                                + "<button>sign out</button></form>");
            } else if (signIn) {
                h.append(" · <a href=\"/login?next=")
                        .append(e(java.net.URLEncoder.encode(here, java.nio.charset.StandardCharsets.UTF_8)))
                        .append("\">sign in with GitHub</a> to see builds of private repositories");
            }
            return h.append("</p>").toString();
        }
    }

    private static final String STYLE = "<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}"
            + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
            + "code,pre{font:12px ui-monospace,monospace}pre{background:#f6f6f6;padding:8px;max-height:30em;"
            + "overflow:auto;white-space:pre-wrap}.published,.succeeded{color:#1a7f37}.failed,.cancelled{color:#cf222e}"
            + ".running,.verifying,.publishing,.queued{color:#9a6700}</style>";

    static String render(BuildView v, List<String> logs, Nav nav) {
        StringBuilder h = new StringBuilder("<!doctype html><html><head><meta charset=utf-8><title>multiarch build ")
                .append(v.id())
                .append("</title>");
        if (!v.terminal()) {
            h.append("<meta http-equiv=refresh content=2>");
        }
        h.append(STYLE).append("</head><body>");
        h.append(nav.html());
        h.append("<h1>Build ")
                .append(v.id())
                .append(" <span class=\"")
                .append(e(v.state()))
                .append("\">")
                .append(e(v.state()))
                .append("</span></h1>");
        h.append("<table>");
        row(h, "repository", e(v.repo()) + (v.privateRepo() ? " (private)" : ""));
        row(h, "ref", "<code>" + e(v.ref()) + "</code>");
        row(h, "commit", "<code>" + e(v.commit()) + "</code>");
        row(h, "image", v.image() == null ? "-" : "<code>" + e(v.image()) + "</code>");
        row(h, "publishes", v.push() ? "yes: " + e(String.join(", ", v.plannedTags())) : "no (build and verify only)");
        if (v.error() != null) {
            row(h, "error", "<span class=failed>" + e(v.error()) + "</span>");
        }
        if (v.indexDigest() != null) {
            row(h, "published index", "<code>" + e(v.indexDigest()) + "</code>");
            StringBuilder refs = new StringBuilder();
            for (String t : v.publishedTags()) {
                refs.append(refs.length() == 0 ? "" : "<br>")
                        .append("<code>")
                        .append(e(v.image() + ":" + t))
                        .append("</code>");
            }
            row(h, "tags", refs.toString());
        }
        h.append(RegistryOutcomes.rows(v.registries()));
        if (!v.keptBack().isEmpty()) {
            row(h, "kept back", e(String.join("; ", v.keptBack())));
        }
        row(h, "created", e(v.createdAt()));
        if (v.seconds() != null) {
            row(h, "took", String.format(java.util.Locale.ROOT, "%.1f s", v.seconds()));
        }
        h.append("</table>");
        if (!v.jobs().isEmpty()) {
            h.append("<h2>Platforms</h2><table><tr><th>platform</th><th>state</th><th>runner</th><th>attempt</th>"
                    + "<th>digest</th><th>time</th><th>error</th></tr>");
            for (BuildView.JobView j : v.jobs()) {
                h.append("<tr><td><a href=\"#job-")
                        .append(j.id())
                        .append("\">")
                        .append(e(j.platform()))
                        .append("</a></td><td class=\"")
                        .append(e(j.state()))
                        .append("\">")
                        .append(e(j.state()))
                        .append("</td><td>")
                        .append(e(j.runner()))
                        .append("</td><td>")
                        .append(j.attempt())
                        .append("</td><td><code>")
                        .append(e(j.digest()))
                        .append("</code></td><td>")
                        .append(j.seconds() == null ? "" : String.format(java.util.Locale.ROOT, "%.1f s", j.seconds()))
                        .append("</td><td>")
                        .append(e(j.error()))
                        .append("</td></tr>");
            }
            h.append("</table>");
            timings(h, v.jobs());
            if (v.indexDigest() != null) {
                h.append("<p>The published index lists exactly these images, one per platform, each verified in the "
                        + "registry: its config names the platform and the programs its build added are for it.</p>");
            }
            for (int i = 0; i < v.jobs().size(); i++) {
                BuildView.JobView j = v.jobs().get(i);
                String log = logs.get(i);
                if (log.length() > 200_000) {
                    log = "… (earlier output cut)\n" + log.substring(log.length() - 200_000);
                }
                h.append("<h3 id=\"job-")
                        .append(j.id())
                        .append("\">")
                        .append(e(j.platform()))
                        .append(" log</h3><pre>")
                        .append(e(log.isEmpty() ? "(no output yet)" : log))
                        .append("</pre>");
            }
        }
        return h.append("</body></html>").toString();
    }

    /** Where each platform's time went, in seconds: one column per step, in the order the steps ran. */
    private static void timings(StringBuilder h, List<BuildView.JobView> jobs) {
        java.util.LinkedHashSet<String> steps = new java.util.LinkedHashSet<>();
        jobs.forEach(j -> steps.addAll(j.timings().keySet()));
        if (steps.isEmpty()) {
            return;
        }
        h.append("<h2>Where the time went</h2><table><tr><th>platform</th>");
        steps.forEach(s -> h.append("<th>").append(e(s)).append("</th>"));
        h.append("</tr>");
        for (BuildView.JobView j : jobs) {
            h.append("<tr><td>").append(e(j.platform())).append("</td>");
            for (String s : steps) {
                Long ms = j.timings().get(s);
                h.append("<td>")
                        .append(ms == null ? "" : String.format(java.util.Locale.ROOT, "%.2f s", ms / 1000.0))
                        .append("</td>");
            }
            h.append("</tr>");
        }
        h.append("</table>");
    }

    static String list(List<BuildView> builds, Nav nav) {
        StringBuilder h = new StringBuilder("<!doctype html><html><head><meta charset=utf-8><title>multiarch builds"
                + "</title>" + STYLE
                + "</head><body>" + nav.html() + "<h1>Builds</h1><table><tr><th>#</th><th>repository</th><th>ref</th>"
                + "<th>image</th><th>state</th><th>created</th></tr>");
        for (BuildView v : builds) {
            h.append("<tr><td><a href=\"/builds/")
                    .append(v.id())
                    .append("\">")
                    .append(v.id())
                    .append("</a></td><td>")
                    .append(e(v.repo()))
                    .append(v.privateRepo() ? " (private)" : "")
                    .append("</td><td><code>")
                    .append(e(v.ref()))
                    .append("</code></td><td><code>")
                    .append(e(v.image()))
                    .append("</code></td><td class=\"")
                    .append(e(v.state()))
                    .append("\">")
                    .append(e(v.state()))
                    .append("</td><td>")
                    .append(e(v.createdAt()))
                    .append("</td></tr>");
        }
        return h.append("</table></body></html>").toString();
    }

    private static void row(StringBuilder h, String k, String v) {
        h.append("<tr><th>").append(k).append("</th><td>").append(v).append("</td></tr>");
    }

    static String e(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
