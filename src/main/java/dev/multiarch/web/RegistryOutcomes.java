package dev.multiarch.web;

import java.util.List;

/**
 * The build page's lines for a build that publishes to several registries ({@code image: [A, B, …]}): one table row
 * per registry, {@code published}, {@code failed: why} or {@code pending}. Nothing for a build with one registry (the
 * page's image and tags rows say it all). Every text is escaped: image names and registry errors come from the
 * repository's {@code .multiarch.yaml} and from registries.
 */
final class RegistryOutcomes {
    private RegistryOutcomes() {}

    static String rows(List<BuildView.RegistryView> registries) {
        if (registries == null || registries.size() < 2) {
            return "";
        }
        StringBuilder h = new StringBuilder();
        for (BuildView.RegistryView r : registries) {
            String text =
                    switch (r.state()) {
                        case PUBLISHED ->
                            "<span class=published>published</span>"
                                    + (r.indexDigest() == null
                                            ? ""
                                            : " <code>"
                                                    + Layout.e(r.indexDigest().toString()) + "</code>");
                        case FAILED ->
                            "<span class=failed>failed</span>: "
                                    + Layout.e(r.error() == null ? "(no reason recorded)" : r.error());
                        case PENDING -> "<span class=pending>pending</span>";
                    };
            h.append("<tr class=registry><th>")
                    .append(Layout.e(r.image()))
                    .append("</th><td>")
                    .append(text)
                    .append("</td></tr>");
        }
        return h.toString();
    }
}
