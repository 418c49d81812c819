package dev.multiarch.base;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The one environment for programs we start (git, buildah, docker): empty, plus an allow-list. A runner's or
 * coordinator's own environment holds the registration secret, registry passwords and GitHub keys
 * ({@code MULTIARCH_*}, {@code GITHUB_*}, whatever the operator exported); a Dockerfile's {@code RUN} step or a
 * malicious repository's git configuration must never see any of it, so nothing is inherited unless listed here.
 *
 * <p>Inherited from our own environment, when set: {@link #INHERITED} — what git and buildah need to find their
 * programs, a home, a locale, a temporary and a runtime directory. Proxy variables are not inherited (a proxy URL may
 * carry a password, and buildah hands proxy variables to {@code RUN} steps).
 *
 * <p>Set by the caller, and only with these names: {@link #SETTABLE_PREFIXES} and {@link #SETTABLE} — git's own
 * configuration ({@code GIT_CONFIG_*}, {@code GIT_TERMINAL_PROMPT}), containers/image and buildah settings
 * ({@code BUILDAH_*}, {@code STORAGE_*}, {@code REGISTRY_AUTH_FILE}). Anything else is a programming error: it throws
 * rather than leaking a variable nobody reviewed.
 */
public final class ChildEnvironment {
    private ChildEnvironment() {}

    /** Copied from our environment when present. */
    public static final List<String> INHERITED = List.of("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "XDG_RUNTIME_DIR");

    /** Names a caller may set, by prefix. */
    public static final List<String> SETTABLE_PREFIXES = List.of("GIT_", "BUILDAH_", "STORAGE_");

    /**
     * Names a caller may set, exactly. {@code HOME} only ever narrows: a child that must not read the runner user's
     * own files ({@code ~/.netrc} for git-lfs) gets an empty directory as its home.
     */
    public static final List<String> SETTABLE = List.of("REGISTRY_AUTH_FILE", "HOME");

    /** Used when our own environment has no {@code PATH} (a service manager's minimal environment). */
    static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /**
     * The environment for a child: the allow-listed part of {@code ours} plus {@code set}.
     *
     * @param ours our own environment ({@code System.getenv()}; a map in tests)
     * @param set  variables the caller sets; each name must be settable
     * @throws IllegalArgumentException for a name outside {@link #SETTABLE_PREFIXES} and {@link #SETTABLE}
     */
    public static Map<String, String> of(Map<String, String> ours, Map<String, String> set) {
        Map<String, String> env = new TreeMap<>();
        for (String name : INHERITED) {
            String v = ours.get(name);
            if (v != null) {
                env.put(name, v);
            }
        }
        env.putIfAbsent("PATH", DEFAULT_PATH);
        for (Map.Entry<String, String> e : set.entrySet()) {
            if (!settable(e.getKey())) {
                throw new IllegalArgumentException("a child process may not be given " + e.getKey()
                        + " (see ChildEnvironment for the names it may be given)");
            }
            env.put(e.getKey(), e.getValue());
        }
        return env;
    }

    /** Replaces {@code pb}'s environment (a copy of ours, as the JDK starts it) with {@link #of}. */
    public static ProcessBuilder apply(ProcessBuilder pb, Map<String, String> set) {
        Map<String, String> env = pb.environment();
        Map<String, String> clean = of(System.getenv(), set);
        env.clear();
        env.putAll(clean);
        return pb;
    }

    /**
     * What a Docker credential helper ({@code docker-credential-NAME get}) may read of our environment: {@link #of}'s
     * allow-list plus what helpers are documented to need to find their store or cloud login: {@code DOCKER_CONFIG},
     * {@code XDG_*} and {@code DBUS_SESSION_BUS_ADDRESS} (secretservice, pass), {@code GNUPGHOME} and
     * {@code PASSWORD_STORE_*} (pass), and the cloud SDKs' own variables ({@code AWS_*} for ecr-login,
     * {@code GOOGLE_*}/{@code CLOUDSDK_*} for gcr, {@code AZURE_*} for acr). Never a {@code MULTIARCH_*} variable
     * (the coordinator's secrets: runner secrets, admin and metrics tokens, webhook secrets, passwords named in
     * config.yaml by convention), nor anything else: a variable an operator named for a secret in config.yaml is not
     * passed on unless it has one of these prefixes.
     */
    public static Map<String, String> forCredentialHelper(Map<String, String> ours) {
        Map<String, String> env = of(ours, Map.of());
        ours.forEach((name, value) -> {
            if (!name.startsWith("MULTIARCH_")
                    && (CREDENTIAL_HELPER.contains(name)
                            || CREDENTIAL_HELPER_PREFIXES.stream().anyMatch(name::startsWith))) {
                env.put(name, value);
            }
        });
        return env;
    }

    /** Replaces {@code pb}'s environment with {@link #forCredentialHelper}. */
    public static ProcessBuilder applyForCredentialHelper(ProcessBuilder pb) {
        Map<String, String> env = pb.environment();
        Map<String, String> clean = forCredentialHelper(System.getenv());
        env.clear();
        env.putAll(clean);
        return pb;
    }

    /** Variables a credential helper may read besides {@link #INHERITED}; see {@link #forCredentialHelper}. */
    public static final List<String> CREDENTIAL_HELPER =
            List.of("DOCKER_CONFIG", "DBUS_SESSION_BUS_ADDRESS", "GNUPGHOME");

    public static final List<String> CREDENTIAL_HELPER_PREFIXES =
            List.of("XDG_", "PASSWORD_STORE_", "AWS_", "GOOGLE_", "CLOUDSDK_", "AZURE_");

    static boolean settable(String name) {
        return SETTABLE.contains(name) || SETTABLE_PREFIXES.stream().anyMatch(name::startsWith);
    }
}
