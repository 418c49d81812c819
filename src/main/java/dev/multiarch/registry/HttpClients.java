package dev.multiarch.registry;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import okhttp3.ConnectionSpec;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;

/**
 * The okhttp clients a {@link RegistryClient} uses, one per kind of connection: plain HTTP, verified TLS and (for
 * registries marked insecure) unverified TLS. The TLS ones are built on first use: okhttp loads the trust store when
 * a TLS-capable client is built, which costs a short-lived CLI talking to a loopback registry a third of its run.
 * All share one connection pool and dispatcher.
 */
final class HttpClients {
    private final OkHttpClient plainBase;
    private final RegistryAuth auth;
    private OkHttpClient plain;
    private OkHttpClient tlsBase;
    private OkHttpClient tls;
    private OkHttpClient insecureTls;

    HttpClients(
            RetryPolicy retry,
            Duration timeout,
            String userAgent,
            CredentialSource credentials,
            java.time.Clock clock,
            HostRoutes routes) {
        OkHttpClient.Builder b = new OkHttpClient.Builder();
        if (!routes.isEmpty()) {
            b.addInterceptor(routes);
        }
        this.plainBase = b.connectionSpecs(List.of(ConnectionSpec.CLEARTEXT))
                .connectTimeout(Duration.ofSeconds(10))
                .readTimeout(timeout)
                .writeTimeout(timeout)
                .followRedirects(true)
                .addInterceptor(chain -> chain.proceed(chain.request()
                        .newBuilder()
                        .header("User-Agent", userAgent)
                        .build()))
                .addInterceptor(new RetryInterceptor(retry, clock))
                .build();
        Function<HttpUrl, OkHttpClient> tokenClients = url -> url.isHttps() ? tlsBase() : plainBase;
        this.auth = new RegistryAuth(credentials, new TokenCache(clock), tokenClients, routes);
    }

    /** The client for a registry at this scheme; {@code insecure} skips certificate checks. */
    synchronized OkHttpClient forScheme(String scheme, boolean insecure) {
        if (scheme.equals("http")) {
            if (plain == null) {
                plain = withAuth(plainBase);
            }
            return plain;
        }
        if (insecure) {
            if (insecureTls == null) {
                insecureTls = trustAll(forScheme("https", false));
            }
            return insecureTls;
        }
        if (tls == null) {
            tls = withAuth(tlsBase());
        }
        return tls;
    }

    private synchronized OkHttpClient tlsBase() {
        if (tlsBase == null) {
            tlsBase = plainBase
                    .newBuilder()
                    .connectionSpecs(List.of(ConnectionSpec.MODERN_TLS, ConnectionSpec.CLEARTEXT))
                    .build();
        }
        return tlsBase;
    }

    private OkHttpClient withAuth(OkHttpClient base) {
        return base.newBuilder().addInterceptor(auth).authenticator(auth).build();
    }

    /** For registries marked insecure only: TLS without certificate or host name checks. */
    private static OkHttpClient trustAll(OkHttpClient c) {
        try {
            X509TrustManager tm = new X509TrustManager() {
                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType) {}

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType) {}

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            };
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {tm}, new SecureRandom());
            return c.newBuilder()
                    .sslSocketFactory(ctx.getSocketFactory(), tm)
                    .hostnameVerifier((h, s) -> true)
                    .build();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up TLS for insecure registries", e);
        }
    }

    void close() {
        plainBase.dispatcher().executorService().shutdown();
        plainBase.connectionPool().evictAll();
    }
}
