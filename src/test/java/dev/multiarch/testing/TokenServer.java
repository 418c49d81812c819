package dev.multiarch.testing;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.multiarch.base.Json;
import dev.multiarch.github.AppJwt;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

/**
 * A token server for distribution's token authentication ("Token Authentication Specification"): checks Basic
 * credentials, grants the scopes asked for, and signs an RS256 JWT carrying its certificate in {@code x5c}, which the
 * registry verifies against its {@code rootcertbundle}. Records each token request's scopes.
 */
public final class TokenServer implements AutoCloseable {

    private final HttpServer server;
    private final Path cert;
    private final PrivateKey key;
    private final String certDer;
    private final List<String> requests = Collections.synchronizedList(new ArrayList<>());

    public TokenServer(Path dir, String user, String password) throws IOException {
        cert = dir.resolve("token-cert.pem");
        Path keyFile = dir.resolve("token-key.pem");
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
                "/CN=multiarch-test-token-issuer",
                "-keyout",
                keyFile.toString(),
                "-out",
                cert.toString()));
        key = AppJwt.readPrivateKey(Files.readString(keyFile));
        try (InputStream in = Files.newInputStream(cert)) {
            certDer = Base64.getEncoder()
                    .encodeToString(CertificateFactory.getInstance("X.509")
                            .generateCertificate(in)
                            .getEncoded());
        } catch (java.security.cert.CertificateException e) {
            throw new IOException(e);
        }
        String expected =
                "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/token", ex -> {
            try (ex) {
                String query = ex.getRequestURI().getRawQuery() == null
                        ? ""
                        : ex.getRequestURI().getRawQuery();
                List<String> scopes = new ArrayList<>();
                String service = "";
                for (String kv : query.split("&")) {
                    int eq = kv.indexOf('=');
                    if (eq < 0) {
                        continue;
                    }
                    String v = URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
                    if (kv.startsWith("scope=")) {
                        scopes.add(v);
                    } else if (kv.startsWith("service=")) {
                        service = v;
                    }
                }
                requests.add(String.join(" ", scopes));
                if (!expected.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                    byte[] b = "{\"details\":\"incorrect username or password\"}".getBytes();
                    ex.sendResponseHeaders(401, b.length);
                    ex.getResponseBody().write(b);
                    return;
                }
                byte[] b = Json.MAPPER.writeValueAsBytes(Json.MAPPER
                        .createObjectNode()
                        .put("token", sign(user, service, scopes))
                        .put("expires_in", 300)
                        .put("issued_at", Instant.now().toString()));
                ex.getResponseHeaders().add("Content-Type", "application/json");
                ex.sendResponseHeaders(200, b.length);
                ex.getResponseBody().write(b);
            }
        });
        server.start();
    }

    public String realm() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
    }

    public Path certificate() {
        return cert;
    }

    /** The scopes of every token request, in order. */
    public List<String> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    private String sign(String user, String service, List<String> scopes) throws IOException {
        ObjectNode header = Json.MAPPER.createObjectNode().put("typ", "JWT").put("alg", "RS256");
        header.putArray("x5c").add(certDer);
        long now = Instant.now().getEpochSecond();
        ObjectNode claims = Json.MAPPER
                .createObjectNode()
                .put("iss", "multiarch-test-issuer")
                .put("sub", user)
                .put("aud", service)
                .put("exp", now + 300)
                .put("nbf", now - 10)
                .put("iat", now)
                .put("jti", UUID.randomUUID().toString());
        ArrayNode access = claims.putArray("access");
        for (String s : scopes) {
            String[] parts = s.split(":");
            if (parts.length == 3) {
                ObjectNode a = access.addObject().put("type", parts[0]).put("name", parts[1]);
                ArrayNode actions = a.putArray("actions");
                for (String act : parts[2].split(",")) {
                    actions.add(act);
                }
            }
        }
        String h = b64(Json.MAPPER.writeValueAsBytes(header));
        String c = b64(Json.MAPPER.writeValueAsBytes(claims));
        try {
            Signature s = Signature.getInstance("SHA256withRSA");
            s.initSign(key);
            s.update((h + "." + c).getBytes(StandardCharsets.US_ASCII));
            return h + "." + c + "." + b64(s.sign());
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException(e);
        }
    }

    private static String b64(byte[] b) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
