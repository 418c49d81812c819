package dev.multiarch.registry;

import java.io.IOException;
import java.util.List;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.Response;

/**
 * One registry operation (check a blob, pull a manifest, push a manifest…), run by {@link RegistryCaller}. The
 * operation says which answers it expects — a 404 on HEAD is "absent", not a failure — and everything else becomes a
 * {@link RegistryException} in the caller.
 */
interface RegistryOperation<T> {
    /** For messages: "push the index to", "pull the manifest of". */
    String action();

    /** For messages: the object, e.g. {@code registry/repo:tag}. */
    String target();

    /** The token scopes this needs. */
    List<String> scopes();

    /** The request, relative to the registry's base URL ({@code http(s)://host[:port]/}). */
    Request request(HttpUrl base);

    /** Whether {@link #handle} deals with this status; any other status is an error. */
    boolean accepts(int status);

    T handle(Response response) throws IOException;

    /** A hint for an error code this operation understands better than the caller. */
    default String hint(String code, int status) {
        return null;
    }
}
