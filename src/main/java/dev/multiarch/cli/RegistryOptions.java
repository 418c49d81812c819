package dev.multiarch.cli;

import dev.multiarch.registry.CredentialSource;
import dev.multiarch.registry.Credentials;
import dev.multiarch.registry.DockerConfig;
import dev.multiarch.registry.RegistryClient;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Flags every command that talks to a registry shares (manifest-tool's global flags). */
final class RegistryOptions {
    @Option(names = "--username", description = "Registry user name (for the target's registry).")
    String username;

    @Option(names = "--password", description = "Registry password or token; also read from MULTIARCH_PASSWORD.")
    String password;

    @Option(names = "--docker-cfg", paramLabel = "PATH",
            description = "Docker config directory or file (default: $DOCKER_CONFIG or ~/.docker).")
    Path dockerCfg;

    @Option(names = "--insecure", description = "Do not verify TLS certificates; fall back to plain HTTP.")
    boolean insecure;

    @Option(names = "--plain-http", description = "Talk plain HTTP to every registry (loopback registries always get it).")
    boolean plainHttp;

    /**
     * A client whose explicit credentials apply to {@code registry} only (they are never sent to another host); every
     * registry also gets what the Docker config holds for it.
     */
    RegistryClient client(String registry) {
        String pass = password != null ? password : System.getenv("MULTIARCH_PASSWORD");
        CredentialSource explicit = CredentialSource.NONE;
        if (username != null) {
            if (pass == null) {
                throw new IllegalArgumentException("--username needs --password (or MULTIARCH_PASSWORD)");
            }
            explicit = CredentialSource.forRegistry(registry, Credentials.basic(username, pass));
        }
        DockerConfig cfg = DockerConfig.load(dockerCfg != null ? dockerCfg : DockerConfig.defaultLocation());
        return RegistryClient.builder()
                .withCredentials(explicit.orElse(cfg))
                .withInsecureEverywhere(insecure)
                .withPlainHttp(plainHttp)
                .create();
    }
}
