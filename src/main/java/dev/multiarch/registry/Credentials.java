package dev.multiarch.registry;

/**
 * A registry login. {@code identityToken} is an OAuth2 refresh token (docker's {@code identitytoken}, or a credential
 * helper's answer whose Username is {@code <token>}); when set, the token flow exchanges it instead of the password.
 * {@link #toString()} never shows secrets.
 */
public record Credentials(String username, String password, String identityToken) {
    public static Credentials basic(String username, String password) {
        return new Credentials(username, password, null);
    }

    public boolean hasIdentityToken() {
        return identityToken != null && !identityToken.isEmpty();
    }

    @Override
    public String toString() {
        return "Credentials[username=" + username + ", secret=<redacted>]";
    }
}
