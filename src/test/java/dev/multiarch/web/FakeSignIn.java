package dev.multiarch.web;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * GitHub's side of signing in, scripted: the code {@code code-for-LOGIN} signs in LOGIN (any other is refused as
 * GitHub refuses a used code), and LOGIN reads a repository once {@link #reader} says so.
 */
final class FakeSignIn implements SignIn {
    static final String AUTHORIZE = "https://github.test/login/oauth/authorize";

    private final Map<String, Set<String>> readers = new ConcurrentHashMap<>();
    private final Set<String> revoked = ConcurrentHashMap.newKeySet();
    final AtomicInteger asked = new AtomicInteger();
    volatile boolean unreachable;
    volatile String lastRedirectUri;

    FakeSignIn reader(String repo, String login) {
        readers.computeIfAbsent(repo, r -> ConcurrentHashMap.newKeySet()).add(login);
        return this;
    }

    /** From now on {@code login}'s token is refused (401), as after they revoke the App's authorization. */
    void revoke(String login) {
        revoked.add(login);
    }

    static String token(String login) {
        return "ghu_fake_token_of_" + login;
    }

    @Override
    public String authorizeUrl(String state, String redirectUri) {
        return AUTHORIZE + "?client_id=Iv1.fake&redirect_uri=" + URLEncoder.encode(redirectUri, StandardCharsets.UTF_8)
                + "&state=" + URLEncoder.encode(state, StandardCharsets.UTF_8);
    }

    @Override
    public Person exchange(String code, String redirectUri) throws Refused {
        lastRedirectUri = redirectUri;
        if (!code.startsWith("code-for-")) {
            throw new Refused("bad_verification_code (The code passed is incorrect or expired.)");
        }
        String login = code.substring("code-for-".length());
        return new Person(login, token(login), Instant.now().plus(Duration.ofHours(8)));
    }

    @Override
    public boolean canRead(Person person, String repo) throws IOException, Expired {
        asked.incrementAndGet();
        if (unreachable) {
            throw new IOException("connect timed out");
        }
        if (revoked.contains(person.login())) {
            throw new Expired("GitHub answered 401 Bad credentials");
        }
        return readers.getOrDefault(repo, Set.of()).contains(person.login());
    }
}
