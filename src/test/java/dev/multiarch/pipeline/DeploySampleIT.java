package dev.multiarch.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.multiarch.github.WebhookSignature;
import dev.multiarch.testing.GitHubEvents;
import dev.multiarch.testing.GitHubStandIn;
import dev.multiarch.testing.Ports;
import dev.multiarch.testing.PostgresCluster;
import dev.multiarch.testing.Proc;
import dev.multiarch.testing.SharedCoordinators;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deployment sample as written: Debian's nginx runs {@code docs/deploy/nginx-multiarch.conf} (only its addresses,
 * ports and certificate paths replaced) with a self-signed certificate from openssl, in front of two coordinators on
 * one PostgreSQL. Signed webhooks go through it over TLS, also after one coordinator is killed.
 */
class DeploySampleIT {
    static final String SECRET = "deploy-webhook-secret-0123456789";

    @TempDir
    Path dir;

    PostgresCluster postgres;
    GitHubStandIn github;
    SharedCoordinators coordinators;
    Process nginx;
    String database;

    @BeforeEach
    void start() throws Exception {
        postgres = PostgresCluster.start();
        database = postgres.createDatabase();
        Path pem = dir.resolve("app.pem");
        KeyPair key = GitHubEvents.appKey(pem);
        github = new GitHubStandIn(GitHubStandIn.openApi(), "424242", key.getPublic(), null);
        coordinators = new SharedCoordinators(
                Files.createDirectories(dir.resolve("coordinators")),
                "postgresql://127.0.0.1:" + postgres.port() + "/" + database,
                "127.0.0.1:" + Ports.free(),
                30,
                "github:\n  api-url: " + github.url() + "\n  webhook-secrets: [\"${WH}\"]\n  app-id: \"424242\"\n"
                        + "  private-key-file: " + pem + "\n  workflows: "
                        + Path.of("workflows").toAbsolutePath()
                        + "\nrepositories:\n  - match: octo-org/*\n    images: [127.0.0.1:5000/*]\n",
                Map.of("WH", SECRET));
        coordinators.start("a");
        coordinators.start("b");
    }

    @AfterEach
    void stop() {
        if (nginx != null) {
            nginx.destroy();
            try {
                if (!nginx.waitFor(Duration.ofSeconds(20).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                    nginx.destroyForcibly().waitFor();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        coordinators.close();
        github.close();
        postgres.close();
    }

    /** Starts nginx on the sample; returns its https and http ports. */
    private int[] startNginx() throws Exception {
        Path home = Files.createDirectories(dir.resolve("nginx"));
        Path cert = home.resolve("cert.pem");
        Path keyFile = home.resolve("key.pem");
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
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
                "-keyout",
                keyFile.toString(),
                "-out",
                cert.toString()));
        int https = Ports.free();
        int http = Ports.free();
        String site = Files.readString(Path.of("docs/deploy/nginx-multiarch.conf"));
        String rendered = site.replace("server 10.0.0.11:8080", "server " + hostPort(coordinators.url("a")))
                .replace("server 10.0.0.12:8080", "server " + hostPort(coordinators.url("b")))
                .replace("listen 443 ssl http2;", "listen 127.0.0.1:" + https + " ssl http2;")
                .replace("listen 80;", "listen 127.0.0.1:" + http + ";")
                .replaceAll("(?m)^\\s*listen \\[::\\].*\\n", "")
                .replace("/etc/ssl/multiarch/fullchain.pem", cert.toString())
                .replace("/etc/ssl/multiarch/privkey.pem", keyFile.toString());
        assertTrue(rendered.contains(String.valueOf(https)) && rendered.contains(cert.toString()), rendered);
        Files.writeString(home.resolve("multiarch.conf"), rendered);
        Path temp = Files.createDirectories(home.resolve("temp"));
        Proc.ok(List.of("chmod", "-R", "a+rwx", temp.toString()));
        Files.writeString(
                home.resolve("nginx.conf"),
                "worker_processes 1;\npid " + home.resolve("nginx.pid") + ";\nerror_log " + home.resolve("error.log")
                        + " info;\nevents { worker_connections 256; }\nhttp {\n  access_log "
                        + home.resolve("access.log")
                        + ";\n  client_body_temp_path " + temp.resolve("body") + ";\n  proxy_temp_path "
                        + temp.resolve("proxy") + ";\n  fastcgi_temp_path " + temp.resolve("fastcgi")
                        + ";\n  uwsgi_temp_path " + temp.resolve("uwsgi") + ";\n  scgi_temp_path "
                        + temp.resolve("scgi") + ";\n  include " + home.resolve("multiarch.conf") + ";\n}\n");
        Proc.ok(List.of(
                "nginx",
                "-t",
                "-p",
                home.toString(),
                "-c",
                home.resolve("nginx.conf").toString()));
        nginx = new ProcessBuilder(
                        "nginx",
                        "-p",
                        home.toString(),
                        "-c",
                        home.resolve("nginx.conf").toString(),
                        "-g",
                        "daemon off;")
                .redirectErrorStream(true)
                .redirectOutput(home.resolve("stdout.log").toFile())
                .start();
        Ports.await("nginx on " + https, Duration.ofSeconds(30), () -> {
            if (!nginx.isAlive()) {
                throw new IllegalStateException("nginx exited: " + read(home.resolve("error.log")));
            }
            return Ports.listening(https);
        });
        return new int[] {https, http};
    }

    private static String hostPort(String url) {
        return url.replaceFirst("^http://", "");
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            return "(none)";
        }
    }

    /** A client that trusts only the test's certificate, as a runner or GitHub would trust the real one. */
    private HttpClient client() throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        try (InputStream in = Files.newInputStream(dir.resolve("nginx/cert.pem"))) {
            ks.setCertificateEntry(
                    "nginx", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        return HttpClient.newBuilder()
                .sslContext(tls)
                .connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    private static HttpResponse<String> webhook(HttpClient http, int port, String delivery) throws Exception {
        ObjectNode ping = GitHubEvents.example("ping", e -> true);
        byte[] body = dev.multiarch.testing.CoordinatorApi.JSON.writeValueAsBytes(ping);
        return http.send(
                HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/webhook"))
                        .header("Content-Type", "application/json")
                        .header("X-GitHub-Event", "ping")
                        .header("X-GitHub-Delivery", delivery)
                        .header("X-GitHub-Hook-ID", "4242")
                        .header("X-Hub-Signature-256", WebhookSignature.sign(SECRET, body))
                        .timeout(Duration.ofSeconds(30))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private int processedDeliveries() throws Exception {
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl(database), "postgres", "");
                Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT COUNT(*) FROM deliveries WHERE state = 'processed'")) {
            r.next();
            return r.getInt(1);
        }
    }

    @Test
    void theSampleNginxConfig_terminatesTls_andSpreadsWebhooks_evenWithACoordinatorDown() throws Exception {
        int[] ports = startNginx();
        HttpClient http = client();
        HttpResponse<String> health = http.send(
                HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + ports[0] + "/healthz"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode());
        assertEquals("ok\n", health.body());
        HttpResponse<String> plain = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports[1] + "/builds"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(301, plain.statusCode(), "plain HTTP is sent to https");
        assertTrue(
                plain.headers().firstValue("Location").orElse("").startsWith("https://"),
                plain.headers().toString());

        String first = UUID.randomUUID().toString();
        assertEquals(202, webhook(http, ports[0], first).statusCode());
        assertEquals(200, webhook(http, ports[0], first).statusCode(), "a redelivery, whichever coordinator gets it");

        coordinators.coordinator("a").kill();
        for (int i = 0; i < 4; i++) {
            HttpResponse<String> r = webhook(http, ports[0], UUID.randomUUID().toString());
            assertEquals(202, r.statusCode(), "with coordinator a down: " + r.body());
        }
        Ports.await("five deliveries processed", Duration.ofSeconds(60), () -> {
            try {
                return processedDeliveries() == 5;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }
}
