package dev.multiarch.web;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * What every page shares: the head (style, the one script, the Content-Security-Policy the pages are written for),
 * the navigation line, and escaping. Every text that came from outside (repository names, refs, logs, error
 * messages, image names) goes through {@link #e} or {@link #q}; nothing else writes untrusted text into a page.
 */
final class Layout {
    private Layout() {}

    /**
     * Pages run no inline script and load nothing from elsewhere: the one script is {@code /assets/dashboard.js}
     * (styles inline: the timeline's widths are style attributes, and styles cannot run code).
     */
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            + "img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    private static final String STYLE = "<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}"
            + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
            + "code,pre{font:12px ui-monospace,monospace}pre{background:#f6f6f6;padding:8px;max-height:30em;"
            + "overflow:auto;white-space:pre-wrap}.published,.succeeded{color:#1a7f37}"
            + ".failed,.cancelled,.mislabeled{color:#cf222e}.running,.verifying,.publishing,.queued{color:#9a6700}"
            + "td.cell{font-size:12px;white-space:nowrap;color:#fff}td.cell small{opacity:.8}"
            + "td.c-queued{background:#8c959f}td.c-running{background:#bf8700}td.c-succeeded{background:#1a7f37}"
            + "td.c-failed{background:#cf222e}td.c-mislabeled{background:#8250df}td.c-cancelled{background:#57606a}"
            + "td.c-none{background:#fff}nav a{margin-right:1em}form.filters{margin:1em 0}"
            + ".bar{display:flex;width:40em;height:14px;background:#eee}.bar span{display:block;height:14px}"
            + ".s-queue{background:#8c959f}.s-fetch,.s-checkout{background:#0969da}.s-build{background:#bf8700}"
            + ".s-export,.s-inspect{background:#9a6700}.s-audit{background:#8250df}.s-push{background:#1a7f37}"
            + ".s-verify{background:#116329}.s-cleanup{background:#d0d7de}details{margin:.5em 0}"
            + "summary{cursor:pointer;font-weight:bold}</style>";

    /**
     * The line at the top of every page: the pages, who is signed in and a way out, or a way in (back to
     * {@code here}) when the coordinator lets people sign in.
     */
    record Nav(boolean signIn, String login, String here) {
        String html() {
            StringBuilder h = new StringBuilder(
                    "<nav><a href=\"/builds\">builds</a><a href=\"/images\">images</a><a href=\"/runners\">runners</a>");
            if (login != null) {
                h.append(" · signed in as <b>")
                        .append(e(login))
                        .append("</b> <form method=post action=\"/logout\" style=\"display:inline\">"
                                + "<button>sign out</button></form>");
            } else if (signIn) {
                h.append(" · <a href=\"/login?next=")
                        .append(q(here))
                        .append("\">sign in with GitHub</a> to see builds of private repositories");
            }
            return h.append("</nav>").toString();
        }
    }

    /** The page up to its body's content; {@code bodyAttributes} already escaped (data-* for the script). */
    static StringBuilder open(String title, Nav nav, String bodyAttributes) {
        return new StringBuilder("<!doctype html><html><head><meta charset=utf-8><title>")
                .append(e(title))
                .append("</title>")
                .append(STYLE)
                .append("<script src=\"/assets/dashboard.js\" defer></script></head><body")
                .append(bodyAttributes.isEmpty() ? "" : " " + bodyAttributes)
                .append(">")
                .append(nav.html());
    }

    static String close(StringBuilder h) {
        return h.append("</body></html>").toString();
    }

    /** Text for HTML content and quoted attribute values. */
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

    /** A query parameter's value, URL-encoded and then escaped for an attribute. */
    static String q(String s) {
        return e(URLEncoder.encode(s == null ? "" : s, StandardCharsets.UTF_8));
    }

    static String seconds(Double s) {
        return s == null ? "" : String.format(Locale.ROOT, "%.1f s", s);
    }

    static String millis(long ms) {
        return ms < 10_000
                ? String.format(Locale.ROOT, "%.2f s", ms / 1000.0)
                : String.format(Locale.ROOT, "%.0f s", ms / 1000.0);
    }

    /** "12 s ago", "3 min ago", "2 h ago" (or the instant itself when older than a day). */
    static String ago(Instant then, Instant now) {
        if (then == null) {
            return "";
        }
        long s = Math.max(0, Duration.between(then, now).toSeconds());
        if (s < 120) {
            return s + " s ago";
        }
        if (s < 7200) {
            return s / 60 + " min ago";
        }
        if (s < 86_400) {
            return s / 3600 + " h ago";
        }
        return then.toString();
    }
}
