package dev.multiarch.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * One bare repository served over git's smart HTTP protocol ({@code git http-backend}, as GitHub serves it) on a
 * loopback port. Records every request's Authorization header, answers 401 without the one it requires, and can hold
 * the pack request of a fetch (a slow server, a fetch to interrupt). Stopped by {@link #close()}.
 *
 * <p>Also a Git LFS server, as GitHub's: the batch API ({@code POST {repo}/info/lfs/objects/batch}, download only,
 * basic transfer) answering with download links on this same server ({@code GET {repo}/lfs/objects/OID}), for the
 * objects under {@code {bare}/lfs/objects} (git-lfs's layout; see {@link GitRepo#lfs}); an object that is not there
 * gets the per-object 404 error of the API.
 */
public final class GitHttpServer implements AutoCloseable {
    private final HttpServer server;
    private final java.util.concurrent.ExecutorService threads = Executors.newFixedThreadPool(8);
    private final Path bare;
    private final String requiredAuthorization;
    private final List<String> packRequests = new CopyOnWriteArrayList<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private final List<String> lfsBatches = new CopyOnWriteArrayList<>();
    private final List<String> lfsDownloads = new CopyOnWriteArrayList<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    /** The server the batch API's download links name (this one, or another: GitHub's point to a CDN). */
    private volatile GitHttpServer downloads = this;

    private volatile CountDownLatch gate = new CountDownLatch(0);
    private volatile CountDownLatch held = new CountDownLatch(1);

    private GitHttpServer(Path bare, String requiredAuthorization) throws IOException {
        this.bare = bare;
        this.requiredAuthorization = requiredAuthorization;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(threads);
        server.start();
    }

    /** @param requiredAuthorization the Authorization header every request must carry, or null for a public one */
    public static GitHttpServer serve(Path bare, String requiredAuthorization) {
        try {
            return new GitHttpServer(bare, requiredAuthorization);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The clone URL. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + bare.getFileName();
    }

    /** How many packs were asked for (one per fetch that transferred something). */
    public int packRequests() {
        return packRequests.size();
    }

    /** The object ids asked for in LFS batch requests, in order. */
    public List<String> lfsBatches() {
        return List.copyOf(lfsBatches);
    }

    /** The LFS objects downloaded, in order. */
    public List<String> lfsDownloads() {
        return List.copyOf(lfsDownloads);
    }

    /**
     * The batch API names {@code other}'s links from now on (as GitHub's names a CDN host): the object must be there,
     * under its own repository's {@code lfs/objects}.
     */
    public void lfsDownloadsFrom(GitHttpServer other) {
        downloads = other;
    }

    /** Every request, as "METHOD /path". */
    public List<String> requests() {
        return List.copyOf(requests);
    }

    /** The Authorization headers received, in order ("" for none). */
    public List<String> authorizations() {
        return List.copyOf(authorizations);
    }

    /** Pack requests wait from now on until {@link #release()}. */
    public void hold() {
        held = new CountDownLatch(1);
        gate = new CountDownLatch(1);
    }

    /** Waits until a pack request is being held. */
    public boolean awaitHeld(long seconds) throws InterruptedException {
        return held.await(seconds, TimeUnit.SECONDS);
    }

    public void release() {
        gate.countDown();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            authorizations.add(auth == null ? "" : auth);
            requests.add(ex.getRequestMethod() + " " + ex.getRequestURI().getPath());
            if (requiredAuthorization != null && !requiredAuthorization.equals(auth)) {
                ex.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"test\"");
                ex.sendResponseHeaders(401, -1);
                return;
            }
            String path = ex.getRequestURI().getPath();
            String prefix = "/" + bare.getFileName();
            if (!path.startsWith(prefix + "/")) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            byte[] in;
            try (InputStream body = ex.getRequestBody()) {
                in = body.readAllBytes();
            }
            if (path.equals(prefix + "/info/lfs/objects/batch")
                    && ex.getRequestMethod().equals("POST")) {
                lfsBatch(ex, in);
                return;
            }
            if (path.startsWith(prefix + "/lfs/objects/")
                    && ex.getRequestMethod().equals("GET")) {
                lfsDownload(ex, path.substring((prefix + "/lfs/objects/").length()));
                return;
            }
            if (path.endsWith("/git-upload-pack")) {
                packRequests.add(path);
                held.countDown();
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            cgi(ex, bare, path.substring(prefix.length()), in);
        }
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
            new com.fasterxml.jackson.databind.ObjectMapper();

    private Path lfsObject(String oid) {
        return bare.resolve("lfs/objects")
                .resolve(oid.substring(0, 2))
                .resolve(oid.substring(2, 4))
                .resolve(oid);
    }

    /** The batch API (https://github.com/git-lfs/git-lfs/blob/main/docs/api/batch.md), downloads only. */
    private void lfsBatch(HttpExchange ex, byte[] in) throws IOException {
        var request = JSON.readTree(in);
        var objects = JSON.createArrayNode();
        for (var o : request.path("objects")) {
            String oid = o.path("oid").asText();
            lfsBatches.add(oid);
            var answer = objects.addObject();
            answer.put("oid", oid).put("size", o.path("size").asLong());
            if (!request.path("operation").asText().equals("download")
                    || !oid.matches("[0-9a-f]{64}")
                    || !java.nio.file.Files.isRegularFile(lfsObject(oid))) {
                answer.putObject("error").put("code", 404).put("message", "Object does not exist");
                continue;
            }
            answer.put("authenticated", true);
            answer.putObject("actions").putObject("download").put("href", downloads.url() + "/lfs/objects/" + oid);
        }
        var response = JSON.createObjectNode().put("transfer", "basic");
        response.set("objects", objects);
        byte[] body = JSON.writeValueAsBytes(response);
        ex.getResponseHeaders().add("Content-Type", "application/vnd.git-lfs+json");
        ex.sendResponseHeaders(200, body.length);
        ex.getResponseBody().write(body);
    }

    private void lfsDownload(HttpExchange ex, String oid) throws IOException {
        if (!oid.matches("[0-9a-f]{64}") || !java.nio.file.Files.isRegularFile(lfsObject(oid))) {
            ex.sendResponseHeaders(404, -1);
            return;
        }
        lfsDownloads.add(oid);
        byte[] body = java.nio.file.Files.readAllBytes(lfsObject(oid));
        ex.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
        ex.getResponseBody().write(body);
    }

    /**
     * Answers one request of git's smart HTTP protocol with {@code git http-backend} (CGI) over a bare repository;
     * returns the status sent. The GitHub stand-in serves its repositories through this too.
     */
    static int cgi(HttpExchange ex, Path bare, String rest, byte[] in) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("git", "http-backend");
        Map<String, String> env = pb.environment();
        env.put("GIT_PROJECT_ROOT", bare.getParent().toString());
        env.put("GIT_HTTP_EXPORT_ALL", "1");
        env.put("PATH_INFO", "/" + bare.getFileName() + rest);
        env.put("REQUEST_METHOD", ex.getRequestMethod());
        String query = ex.getRequestURI().getRawQuery();
        env.put("QUERY_STRING", query == null ? "" : query);
        env.put("CONTENT_LENGTH", String.valueOf(in.length));
        String type = ex.getRequestHeaders().getFirst("Content-Type");
        env.put("CONTENT_TYPE", type == null ? "" : type);
        String encoding = ex.getRequestHeaders().getFirst("Content-Encoding");
        if (encoding != null) {
            env.put("HTTP_CONTENT_ENCODING", encoding);
        }
        String protocol = ex.getRequestHeaders().getFirst("Git-Protocol");
        if (protocol != null) {
            env.put("GIT_PROTOCOL", protocol);
        }
        Process p = pb.redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (OutputStream stdin = p.getOutputStream()) {
            stdin.write(in);
        }
        byte[] out;
        try (InputStream stdout = p.getInputStream()) {
            out = stdout.readAllBytes();
        }
        int status = 200;
        int i = 0;
        while (i < out.length) {
            int eol = i;
            while (eol < out.length && out[eol] != '\n') {
                eol++;
            }
            String line = new String(out, i, eol - i, StandardCharsets.ISO_8859_1).replaceAll("\r$", "");
            i = eol + 1;
            if (line.isEmpty()) {
                break;
            }
            int colon = line.indexOf(':');
            String k = line.substring(0, colon).trim();
            String v = line.substring(colon + 1).trim();
            if (k.equalsIgnoreCase("Status")) {
                status = Integer.parseInt(v.split(" ")[0]);
            } else {
                ex.getResponseHeaders().add(k, v);
            }
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(out, Math.min(i, out.length), out.length - Math.min(i, out.length));
        ex.sendResponseHeaders(status, body.size() == 0 ? -1 : body.size());
        if (body.size() > 0) {
            ex.getResponseBody().write(body.toByteArray());
        }
        return status;
    }

    @Override
    public void close() {
        release();
        server.stop(0);
        threads.shutdownNow();
    }
}
