package dev.multiarch.registry;

import java.io.IOException;
import java.util.Map;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * For tests only ({@link RegistryClient.Builder#withRoute}): sends requests addressed to a named host (say
 * {@code registry-1.docker.io} or {@code auth.docker.io}) to a local server instead, keeping the {@code Host} header
 * the real host would have seen, and gives the caller the response as if it came from the real URL, so relative
 * {@code Location}s resolve against the real host too. Empty in production: nothing is rewritten.
 *
 * <p>Redirects are followed inside okhttp, below this interceptor, so a redirect to an unrouted host would leave the
 * machine; scripted registries redirect to routed hosts only.
 */
final class HostRoutes implements Interceptor {
    private final Map<String, HttpUrl> routes;

    HostRoutes(Map<String, HttpUrl> routes) {
        this.routes = Map.copyOf(routes);
    }

    boolean isEmpty() {
        return routes.isEmpty();
    }

    /** Where a request to {@code url} is sent: the local server when its host is routed, else {@code url} itself. */
    HttpUrl routed(HttpUrl url) {
        HttpUrl to = routes.get(url.host());
        return to == null
                ? url
                : url.newBuilder()
                        .scheme(to.scheme())
                        .host(to.host())
                        .port(to.port())
                        .build();
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        Request original = chain.request();
        HttpUrl to = routes.get(original.url().host());
        if (to == null) {
            return chain.proceed(original);
        }
        HttpUrl url = original.url()
                .newBuilder()
                .scheme(to.scheme())
                .host(to.host())
                .port(to.port())
                .build();
        Request routed = original.newBuilder()
                .url(url)
                .header("Host", hostHeader(original.url()))
                .build();
        return chain.proceed(routed).newBuilder().request(original).build();
    }

    /** RFC 9110 §7.2: host, and the port when it is not the scheme's default. */
    private static String hostHeader(HttpUrl u) {
        return u.port() == HttpUrl.defaultPort(u.scheme()) ? u.host() : u.host() + ":" + u.port();
    }
}
