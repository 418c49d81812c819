package dev.multiarch.web;

import static dev.multiarch.web.Layout.e;

import java.time.Instant;
import java.util.List;

/**
 * The runners page ({@code /runners}): each runner, its native and QEMU platforms, busy or idle and its current
 * jobs, when it was last heard from (every API call it makes, heartbeats included), and per platform the jobs it
 * finished and the median time of those that succeeded (over the store's newest jobs).
 */
final class RunnersPage {
    private RunnersPage() {}

    /** A job a runner holds now; {@code buildId} null when the viewer may not see its build. */
    record Current(long jobId, String platform, Long buildId, String repo) {}

    record Stats(String platform, long succeeded, long failed, Long medianMillis) {}

    record Runner(
            String id,
            String name,
            List<String> nativePlatforms,
            List<String> qemuPlatforms,
            boolean untrustedJobs,
            Instant lastSeen,
            List<Current> current,
            List<Stats> stats) {}

    static String render(List<Runner> runners, Instant now, Layout.Nav nav) {
        StringBuilder h = Layout.open("multiarch runners", nav, "");
        h.append("<h1>Runners</h1>");
        if (runners.isEmpty()) {
            h.append("<p>No runner has registered.</p>");
        }
        h.append("<table id=runners><tr><th>runner</th><th>native</th><th>QEMU</th><th>now</th><th>last heard</th>"
                + "<th>jobs done (succeeded / failed, median time)</th></tr>");
        for (Runner r : runners) {
            h.append("<tr data-runner=\"")
                    .append(e(r.id()))
                    .append("\"><td>")
                    .append(e(r.name()))
                    .append(r.name().equals(r.id()) ? "" : " <small>" + e(r.id()) + "</small>")
                    .append(r.untrustedJobs() ? " (untrusted jobs)" : "")
                    .append("</td><td>")
                    .append(e(String.join(", ", r.nativePlatforms())))
                    .append("</td><td>")
                    .append(e(String.join(", ", r.qemuPlatforms())))
                    .append("</td><td class=\"")
                    .append(r.current().isEmpty() ? "idle" : "running")
                    .append("\" data-busy=\"")
                    .append(!r.current().isEmpty())
                    .append("\">");
            if (r.current().isEmpty()) {
                h.append("idle");
            } else {
                h.append("busy:");
                for (Current c : r.current()) {
                    h.append("<br>").append(e(c.platform())).append(" ");
                    if (c.buildId() == null) {
                        h.append("(a build you cannot see)");
                    } else {
                        h.append("<a href=\"/builds/")
                                .append(c.buildId())
                                .append("#job-")
                                .append(c.jobId())
                                .append("\">build ")
                                .append(c.buildId())
                                .append("</a> ")
                                .append(e(c.repo()));
                    }
                }
            }
            h.append("</td><td title=\"")
                    .append(e(r.lastSeen() == null ? "" : r.lastSeen().toString()))
                    .append("\">")
                    .append(e(Layout.ago(r.lastSeen(), now)))
                    .append("</td><td>");
            for (Stats s : r.stats()) {
                h.append(e(s.platform()))
                        .append(": ")
                        .append(s.succeeded())
                        .append(" / ")
                        .append(s.failed())
                        .append(s.medianMillis() == null ? "" : ", " + Layout.millis(s.medianMillis()))
                        .append("<br>");
            }
            h.append("</td></tr>");
        }
        return Layout.close(h.append("</table>"));
    }
}
