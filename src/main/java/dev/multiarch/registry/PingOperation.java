package dev.multiarch.registry;

import java.util.List;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.Response;

/** {@code GET /v2/}: is this a registry, and may we talk to it (distribution-spec "Determining support"). */
final class PingOperation implements RegistryOperation<Boolean> {
    private final String registry;

    PingOperation(String registry) {
        this.registry = registry;
    }

    @Override
    public String action() {
        return "reach the registry";
    }

    @Override
    public String target() {
        return registry;
    }

    @Override
    public List<String> scopes() {
        return List.of();
    }

    @Override
    public Request request(HttpUrl base) {
        return new Request.Builder().url(base.resolve("/v2/")).get().build();
    }

    @Override
    public boolean accepts(int status) {
        return status == 200;
    }

    @Override
    public Boolean handle(Response response) {
        return true;
    }
}
