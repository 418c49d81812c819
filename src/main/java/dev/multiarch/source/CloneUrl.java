package dev.multiarch.source;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A URL git may fetch from, checked before git sees it. Clone URLs reach us from webhook payloads and API calls, and
 * git reads much more than https from that string: {@code --upload-pack=CMD} (an option, if it comes first),
 * {@code ext::CMD} (a remote helper that runs a command), {@code host:path} (ssh), {@code file://} and plain paths (the
 * runner's own disk: its identity file, another job's checkout). So only these pass:
 *
 * <ul>
 *   <li>{@code https://host/path}, without user info, query or fragment;
 *   <li>{@code http://} to a loopback host ({@code 127.0.0.0/8}, {@code ::1}, {@code localhost}) — test servers;
 *   <li>a local repository (an absolute path or {@code file://}) only where the caller allows local sources
 *       ({@code multiarch build DIR}, a runner with {@code allow-local-sources: true}).
 * </ul>
 *
 * Git itself is told the same through {@link #protocolConfig()}: {@code protocol.allow=never} plus the one protocol
 * this URL needs, so a redirect or a rewritten URL cannot reach another transport either.
 */
public final class CloneUrl {
    /** What transport git uses for the URL. */
    public enum Kind {
        HTTPS,
        LOOPBACK_HTTP,
        LOCAL
    }

    private final String url;
    private final Kind kind;

    /** Only {@link #parse} makes one, so holding a {@code CloneUrl} means it was checked. */
    private CloneUrl(String url, Kind kind) {
        this.url = url;
        this.kind = kind;
    }

    /** Without the checks: for tests of git's own refusals (the second line of defence). */
    static CloneUrl unchecked(String url, Kind kind) {
        return new CloneUrl(url, kind);
    }

    public String url() {
        return url;
    }

    public Kind kind() {
        return kind;
    }

    private static final Pattern SCHEME = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]*)://");
    /** RFC 3986 unreserved, '%' escapes, and what a host, port and path need: no '@', '?', '#', '\' or spaces. */
    private static final Pattern URL_CHARS = Pattern.compile("[A-Za-z0-9._~%+\\-:/\\[\\]]+");

    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");

    /**
     * @param allowLocal whether a local path or {@code file://} URL may be fetched
     * @throws Git.GitException naming the URL and why it is refused
     */
    public static CloneUrl parse(String url, boolean allowLocal) {
        if (url == null || url.isBlank()) {
            throw refused(String.valueOf(url), "it is empty");
        }
        for (int i = 0; i < url.length(); i++) {
            char c = url.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw refused(url, "it contains a control character");
            }
        }
        if (url.startsWith("-")) {
            throw refused(url, "it starts with '-' (git would read it as an option)");
        }
        Matcher m = SCHEME.matcher(url);
        if (m.find()) {
            String scheme = m.group(1).toLowerCase(Locale.ROOT);
            return switch (scheme) {
                case "https" -> new CloneUrl(url, checkHttp(url, false));
                case "http" -> new CloneUrl(url, checkHttp(url, true));
                case "file" -> local(url, allowLocal);
                default -> throw refused(url, "the scheme " + scheme + ":// is not allowed; use https://");
            };
        }
        if (url.contains("::")) {
            throw refused(url, "'<transport>::' names a git remote helper, which runs programs");
        }
        int colon = url.indexOf(':');
        int slash = url.indexOf('/');
        if (colon >= 0 && (slash < 0 || colon < slash)) {
            throw refused(url, "host:path is git's ssh syntax; only https:// is allowed");
        }
        if (!url.startsWith("/")) {
            throw refused(url, "a local path must be absolute");
        }
        return local(url, allowLocal);
    }

    /** The {@code -c} options git gets for this URL: every protocol refused but the one it needs. */
    public List<String> protocolConfig() {
        return switch (kind) {
            case HTTPS -> Git.BASE_PROTOCOLS;
            case LOOPBACK_HTTP -> concat(Git.BASE_PROTOCOLS, List.of("-c", "protocol.http.allow=always"));
            case LOCAL -> concat(Git.BASE_PROTOCOLS, List.of("-c", "protocol.file.allow=always"));
        };
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new java.util.ArrayList<>(a);
        out.addAll(b);
        return List.copyOf(out);
    }

    private static CloneUrl local(String url, boolean allowLocal) {
        if (!allowLocal) {
            throw refused(
                    url, "local repositories are not allowed here (allow-local-sources is off); use an https:// URL");
        }
        return new CloneUrl(url, Kind.LOCAL);
    }

    private static Kind checkHttp(String url, boolean plain) {
        if (!URL_CHARS.matcher(url).matches()) {
            throw refused(url, "it contains characters a clone URL does not need (user info, query, fragment, spaces)");
        }
        URI u;
        try {
            u = new URI(url);
        } catch (URISyntaxException e) {
            throw refused(url, "it is not a valid URL: " + e.getReason());
        }
        String host = u.getHost();
        if (host == null || host.isEmpty()) {
            throw refused(url, "it names no host");
        }
        if (plain && !loopback(host)) {
            throw refused(url, "plain http:// is allowed only to a loopback host; use https://");
        }
        return plain ? Kind.LOOPBACK_HTTP : Kind.HTTPS;
    }

    /** A loopback literal or {@code localhost}; never a DNS lookup (a name resolving to 127.0.0.1 does not count). */
    static boolean loopback(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.equals("localhost")) {
            return true;
        }
        Matcher v4 = IPV4.matcher(h);
        if (v4.matches()) {
            for (int i = 1; i <= 4; i++) {
                if (Integer.parseInt(v4.group(i)) > 255) {
                    return false;
                }
            }
            return v4.group(1).equals("127");
        }
        if (h.startsWith("[") && h.endsWith("]") && h.length() > 2) {
            String literal = h.substring(1, h.length() - 1);
            if (!literal.matches("[0-9a-f:.]+")) {
                return false;
            }
            try {
                // A literal: InetAddress parses it without a lookup.
                return InetAddress.getByName(literal).isLoopbackAddress();
            } catch (UnknownHostException e) {
                return false;
            }
        }
        return false;
    }

    private static Git.GitException refused(String url, String why) {
        return new Git.GitException("refusing to fetch from '" + display(url) + "': " + why);
    }

    /** The URL for a message: user info (a password?) masked, control characters dropped, at most 200 characters. */
    static String display(String url) {
        String s =
                url.replaceAll("[\\x00-\\x1f\\x7f]", "?").replaceFirst("^([A-Za-z][A-Za-z0-9+.-]*://)[^/]*@", "$1***@");
        return s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }

    @Override
    public String toString() {
        return url;
    }
}
