package dev.multiarch.testing;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

/**
 * A request a test server holds instead of answering ({@link RegistryProxy#hold}, {@link GitHubStandIn#hold}): the test
 * learns that it {@link #arrived()}, kills its sender, then {@link #drop()}s it, and the server answers 502 to a client
 * that is gone, having done nothing with it.
 */
public final class HeldRequest {
    private final String method;
    private final String pathEnd;
    private final CompletableFuture<Void> arrived = new CompletableFuture<>();
    private final CountDownLatch dropped = new CountDownLatch(1);

    HeldRequest(String method, String pathEnd) {
        this.method = method;
        this.pathEnd = pathEnd;
    }

    boolean matches(String method, String path) {
        return this.method.equals(method) && path.endsWith(pathEnd);
    }

    /** Completes when the request comes. */
    public CompletableFuture<Void> arrived() {
        return arrived;
    }

    /** Lets the held request be answered (502, nothing done). */
    public void drop() {
        dropped.countDown();
    }

    /** On the server's thread: says it arrived, then waits for {@link #drop()}. */
    void waitForDrop() {
        arrived.complete(null);
        try {
            dropped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
