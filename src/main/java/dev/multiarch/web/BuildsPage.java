package dev.multiarch.web;

import static dev.multiarch.web.Layout.e;
import static dev.multiarch.web.Layout.q;

import dev.multiarch.store.BuildState;
import dev.multiarch.store.JobState;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The builds list ({@code /builds}): one row per build and one coloured cell per platform (queued, running,
 * succeeded, failed, mislabeled, cancelled) with its time and whether it ran natively ({@code N}) or under QEMU
 * ({@code Q}); filters by repository, state and ref; pages of {@link #PAGE} builds going back by id (keyset: the
 * link to older builds carries the last id shown). While a build on the page is unfinished, the page's script
 * fetches it again every two seconds and swaps the table in place.
 */
final class BuildsPage {
    static final int PAGE = 50;

    /** The filters of a request, as given (null: not filtered). */
    record Filters(String repo, String state, String ref) {
        String query() {
            StringBuilder s = new StringBuilder();
            if (repo != null) {
                s.append("&repo=").append(q(repo));
            }
            if (state != null) {
                s.append("&state=").append(q(state));
            }
            if (ref != null) {
                s.append("&ref=").append(q(ref));
            }
            return s.toString();
        }
    }

    private BuildsPage() {}

    static String render(
            List<BuildView> builds,
            Map<Long, String> emulation,
            Filters f,
            Long nextBefore,
            boolean older,
            Layout.Nav nav) {
        boolean live = builds.stream().anyMatch(b -> !b.terminal());
        StringBuilder h = Layout.open("multiarch builds", nav, live ? "data-live=\"2000\"" : "");
        h.append("<h1>Builds</h1>");
        filters(h, f);
        Set<String> platforms = new LinkedHashSet<>();
        builds.forEach(b -> b.jobs().forEach(j -> platforms.add(j.platform())));
        h.append("<table id=\"builds\"><tr><th>#</th><th>repository</th><th>ref</th><th>state</th><th>created</th>");
        platforms.forEach(p -> h.append("<th>").append(e(p)).append("</th>"));
        h.append("</tr>");
        for (BuildView v : builds) {
            h.append("<tr data-build=\"")
                    .append(v.id())
                    .append("\"><td><a href=\"/builds/")
                    .append(v.id())
                    .append("\">")
                    .append(v.id())
                    .append("</a></td><td><a href=\"/builds?repo=")
                    .append(q(v.repo()))
                    .append("\">")
                    .append(e(v.repo()))
                    .append("</a>")
                    .append(v.privateRepo() ? " (private)" : "")
                    .append("</td><td><code>")
                    .append(e(v.ref()))
                    .append("</code></td><td class=\"")
                    .append(e(v.state()))
                    .append("\" data-state=\"")
                    .append(e(v.state()))
                    .append("\">")
                    .append(e(v.state()))
                    .append("</td><td>")
                    .append(e(v.createdAt()))
                    .append("</td>");
            for (String p : platforms) {
                cell(h, v, p, emulation);
            }
            h.append("</tr>");
        }
        h.append("</table>");
        if (builds.isEmpty()) {
            h.append("<p>No builds")
                    .append(f.query().isEmpty() ? "" : " match these filters")
                    .append(".</p>");
        }
        h.append("<p>");
        if (older) {
            h.append("<a id=\"newest\" href=\"/builds?")
                    .append(f.query().replaceFirst("^&", ""))
                    .append("\">newest</a> ");
        }
        if (nextBefore != null) {
            h.append("<a id=\"older\" rel=next href=\"/builds?before=")
                    .append(nextBefore)
                    .append(f.query())
                    .append("\">older builds →</a>");
        }
        h.append("</p>");
        return Layout.close(h);
    }

    private static void cell(StringBuilder h, BuildView v, String platform, Map<Long, String> emulation) {
        BuildView.JobView j = v.jobs().stream()
                .filter(x -> x.platform().equals(platform))
                .findFirst()
                .orElse(null);
        if (j == null) {
            h.append("<td class=\"cell c-none\"></td>");
            return;
        }
        String state = BuildPage.cellState(j);
        String how = emulation.get(j.id());
        String mark = how == null ? "" : how.equals("native") ? "N" : "Q";
        String time = j.seconds() != null
                ? Layout.seconds(j.seconds())
                : j.startedAt() != null && j.state() == JobState.RUNNING
                        ? "since " + j.startedAt().substring(11, 19)
                        : "";
        h.append("<td class=\"cell c-")
                .append(e(state))
                .append("\" data-platform=\"")
                .append(e(platform))
                .append("\" data-state=\"")
                .append(e(state))
                .append("\" title=\"")
                .append(e(platform + ": " + state + (how == null ? "" : " (" + how + ")")
                        + (j.error() == null ? "" : " — " + j.error())))
                .append("\">")
                .append(e(state))
                .append(" ")
                .append(e(time))
                .append(mark.isEmpty() ? "" : " <small>" + mark + "</small>")
                .append("</td>");
    }

    private static void filters(StringBuilder h, Filters f) {
        h.append("<form class=filters method=get action=\"/builds\">repository <input name=repo value=\"")
                .append(e(f.repo()))
                .append("\"> ref <input name=ref value=\"")
                .append(e(f.ref()))
                .append("\"> state <select name=state><option value=\"\">any</option>");
        for (BuildState s : BuildState.values()) {
            String w = s.word();
            h.append("<option")
                    .append(w.equals(f.state()) ? " selected" : "")
                    .append(">")
                    .append(e(w))
                    .append("</option>");
        }
        h.append("</select> <button>filter</button></form>");
    }

    /** A state word from a request: one of the build states, or a 400 naming them. */
    static BuildState state(String word) {
        for (BuildState s : BuildState.values()) {
            if (s.word().equals(word.toLowerCase(Locale.ROOT))) {
                return s;
            }
        }
        throw new HttpError(
                400,
                "state must be one of "
                        + java.util.Arrays.stream(BuildState.values())
                                .map(BuildState::word)
                                .toList() + ", not '" + word + "'");
    }
}
