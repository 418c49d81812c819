import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A trivial peer for bench/webhook-load ({@code PEER=null}): a Vert.x HTTP server on 127.0.0.1 that reads each
 * request's body and answers 202 at once, nothing else. The load driver's latencies against it are the instrument's
 * own floor (the driver's JVM, the loopback, the scheduler), to be set against what it measures of a coordinator.
 * Arguments: PORT [READY_FILE] (written once it listens).
 */
public class NullWebhook {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        vertx.createHttpServer()
                .requestHandler(req -> req.body()
                        .onComplete(ar -> req.response().setStatusCode(202).end("accepted\n")))
                .listen(port, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get();
        if (args.length > 1) {
            Files.writeString(Path.of(args[1]), "ready\n");
        }
        System.out.println("null webhook on 127.0.0.1:" + port);
    }
}
