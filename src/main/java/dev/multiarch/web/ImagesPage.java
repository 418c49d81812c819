package dev.multiarch.web;

import static dev.multiarch.web.Layout.e;
import static dev.multiarch.web.Layout.q;

import dev.multiarch.store.JobState;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The image page ({@code /images}, {@code /images?name=IMAGE}): what a consumer wants to know before pulling. For
 * each image, every tag as it stands with the platforms its index offers (each image's digest and size), the index
 * digest, the build that published it and when the tag last moved; then the tag's moves, newest first.
 */
final class ImagesPage {
    private ImagesPage() {}

    /** A tag as shown: its platforms are the owning build's verified images. */
    record Tag(String tag, BuildView build, Instant movedAt) {}

    /** One image: its tags and their moves. */
    record Image(String name, List<Tag> tags, List<Move> moves) {}

    record Move(String tag, long buildId, String indexDigest, Instant movedAt) {}

    static String render(List<Image> images, boolean one, Layout.Nav nav) {
        StringBuilder h = Layout.open(one ? "multiarch image " + images.get(0).name() : "multiarch images", nav, "");
        h.append("<h1>Images</h1>");
        if (images.isEmpty()) {
            h.append("<p>No image has a published tag yet.</p>");
        }
        for (Image img : images) {
            h.append("<section class=image data-image=\"")
                    .append(e(img.name()))
                    .append("\"><h2><a href=\"/images?name=")
                    .append(q(img.name()))
                    .append("\"><code>")
                    .append(e(img.name()))
                    .append("</code></a></h2><table><tr><th>tag</th><th>platforms</th><th>index</th><th>build</th>"
                            + "<th>moved</th></tr>");
            for (Tag t : img.tags()) {
                BuildView b = t.build();
                h.append("<tr data-tag=\"")
                        .append(e(t.tag()))
                        .append("\"><td><code>")
                        .append(e(t.tag()))
                        .append("</code></td><td><ul>");
                for (BuildView.JobView j : b.jobs()) {
                    if (j.state() == JobState.SUCCEEDED && j.digest() != null) {
                        h.append("<li class=platform data-platform=\"")
                                .append(e(j.platform()))
                                .append("\">")
                                .append(e(j.platform()))
                                .append(" <code>")
                                .append(e(j.digest()))
                                .append("</code> ")
                                .append(j.size() == null ? "" : BuildPage.bytes(j.size()))
                                .append("</li>");
                    }
                }
                h.append("</ul></td><td><code>")
                        .append(e(b.indexDigest()))
                        .append("</code></td><td><a href=\"/builds/")
                        .append(b.id())
                        .append("\">")
                        .append(b.id())
                        .append("</a> <code>")
                        .append(e(b.ref()))
                        .append("</code></td><td>")
                        .append(e(
                                t.movedAt() == null
                                        ? b.updatedAt()
                                        : t.movedAt().toString()))
                        .append("</td></tr>");
            }
            h.append("</table>");
            if (!img.moves().isEmpty()) {
                h.append("<details><summary>tag moves</summary><table><tr><th>when</th><th>tag</th><th>to index</th>"
                        + "<th>build</th></tr>");
                for (Move m : img.moves()) {
                    h.append("<tr><td>")
                            .append(e(m.movedAt().toString()))
                            .append("</td><td><code>")
                            .append(e(m.tag()))
                            .append("</code></td><td><code>")
                            .append(e(m.indexDigest()))
                            .append("</code></td><td><a href=\"/builds/")
                            .append(m.buildId())
                            .append("\">")
                            .append(m.buildId())
                            .append("</a></td></tr>");
                }
                h.append("</table></details>");
            }
            h.append("</section>");
        }
        return Layout.close(h);
    }

    /** The moves of one image, keyed for the newest move of each tag. */
    static Map<String, Instant> lastMoves(List<Move> moves) {
        Map<String, Instant> out = new java.util.HashMap<>();
        for (Move m : moves) {
            out.putIfAbsent(m.tag(), m.movedAt());
        }
        return out;
    }
}
