package dev.multiarch.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Debian's docker-registry (CNCF distribution 2.8) on a free loopback port, with its storage in a temporary
 * directory, optionally behind htpasswd (bcrypt) Basic auth. Stopped and deleted by {@link #close()}.
 */
public final class RegistryServer implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path dir;

    private RegistryServer(Process process, int port, Path dir) {
        this.process = process;
        this.port = port;
        this.dir = dir;
    }

    public static RegistryServer start() {
        return start(null, null);
    }

    /** With htpasswd auth when {@code user} is not null. */
    public static RegistryServer start(String user, String password) {
        return start(user, password, false);
    }

    /** Serving TLS with a fresh self-signed certificate (openssl) when {@code tls}. */
    public static RegistryServer start(String user, String password, boolean tls) {
        return start(user, password, tls, null);
    }

    /** With distribution's token authentication, tokens from {@code tokens}. */
    public static RegistryServer withTokens(TokenServer tokens) {
        return start(null, null, false, tokens);
    }

    private static RegistryServer start(String user, String password, boolean tls, TokenServer tokens) {
        try {
            Path dir = Files.createTempDirectory("registry");
            int port = Ports.free();
            StringBuilder cfg = new StringBuilder()
                    .append("version: 0.1\n")
                    .append("log:\n  level: warn\n  accesslog:\n    disabled: true\n")
                    .append("storage:\n  filesystem:\n    rootdirectory: ")
                    .append(dir.resolve("data"))
                    .append('\n')
                    .append("  delete:\n    enabled: true\n")
                    .append("http:\n  addr: 127.0.0.1:")
                    .append(port)
                    .append('\n');
            if (tls) {
                Proc.ok(List.of(
                        "openssl",
                        "req",
                        "-x509",
                        "-newkey",
                        "rsa:2048",
                        "-nodes",
                        "-days",
                        "1",
                        "-subj",
                        "/CN=localhost",
                        "-addext",
                        "subjectAltName=IP:127.0.0.1,DNS:localhost",
                        "-keyout",
                        dir.resolve("key.pem").toString(),
                        "-out",
                        dir.resolve("cert.pem").toString()));
                cfg.append("  tls:\n    certificate: ")
                        .append(dir.resolve("cert.pem"))
                        .append("\n    key: ")
                        .append(dir.resolve("key.pem"))
                        .append('\n');
            }
            if (tokens != null) {
                cfg.append("auth:\n  token:\n    realm: ")
                        .append(tokens.realm())
                        .append("\n    service: test-registry\n")
                        .append("    issuer: multiarch-test-issuer\n    rootcertbundle: ")
                        .append(tokens.certificate())
                        .append('\n');
            }
            if (user != null) {
                Path htpasswd = dir.resolve("htpasswd");
                Proc.Result r = Proc.ok(List.of("htpasswd", "-Bbn", user, password));
                Files.writeString(htpasswd, r.out());
                cfg.append("auth:\n  htpasswd:\n    realm: multiarch-test\n    path: ")
                        .append(htpasswd)
                        .append('\n');
            }
            Path config = dir.resolve("config.yml");
            Files.writeString(config, cfg);
            Process p = new ProcessBuilder("docker-registry", "serve", config.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("registry.log").toFile())
                    .start();
            RegistryServer s = new RegistryServer(p, port, dir);
            try {
                Ports.await("docker-registry on port " + port, Duration.ofSeconds(30), () -> {
                    if (!p.isAlive()) {
                        throw new IllegalStateException("docker-registry exited: " + s.log());
                    }
                    return Ports.listening(port);
                });
            } catch (RuntimeException e) {
                s.close();
                throw e;
            }
            return s;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start docker-registry: " + e.getMessage(), e);
        }
    }

    public int port() {
        return port;
    }

    /** {@code 127.0.0.1:PORT}, as written in image references. */
    public String host() {
        return "127.0.0.1:" + port;
    }

    /**
     * The blobs the registry holds (the files under its storage's {@code blobs/}), to show that something wrote
     * nothing: a push uploads blobs before it tags anything.
     */
    public long blobCount() {
        Path blobs = dir.resolve("data/docker/registry/v2/blobs");
        if (!Files.isDirectory(blobs)) {
            return 0;
        }
        try (var walk = Files.walk(blobs)) {
            return walk.filter(f -> f.getFileName().toString().equals("data")).count();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public String log() {
        try {
            return Files.readString(dir.resolve("registry.log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Proc.run(List.of("rm", "-rf", dir.toString()), null, 60);
    }
}
