package dev.multiarch.cli;

import dev.multiarch.registry.CredentialSource;
import dev.multiarch.registry.Credentials;
import dev.multiarch.registry.DockerConfig;
import dev.multiarch.registry.RegistryClient;
import java.nio.file.Path;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/** Flags every command that talks to a registry shares (manifest-tool's global flags). */
final class RegistryFlags {
    private RegistryFlags() {}

    static Options add(Options o) {
        return o.addOption(Option.builder()
                        .longOpt("username")
                        .hasArg()
                        .argName("USER")
                        .desc("Registry user name, for the target's registry only.")
                        .build())
                .addOption(Option.builder()
                        .longOpt("password")
                        .hasArg()
                        .argName("SECRET")
                        .desc("Registry password or token; also read from MULTIARCH_PASSWORD.")
                        .build())
                .addOption(Option.builder()
                        .longOpt("docker-cfg")
                        .hasArg()
                        .argName("PATH")
                        .desc("Docker config directory or file (default: $DOCKER_CONFIG or ~/.docker).")
                        .build())
                .addOption(Option.builder()
                        .longOpt("insecure")
                        .desc("Do not verify TLS certificates; fall back to plain HTTP.")
                        .build())
                .addOption(Option.builder()
                        .longOpt("plain-http")
                        .desc("Plain HTTP to every registry (loopback registries always get it).")
                        .build());
    }

    /**
     * A client whose explicit credentials apply to {@code registry} only (never sent to another host); every
     * registry also gets what the Docker config holds for it.
     */
    static RegistryClient client(CommandLine cl, String registry) {
        String user = cl.getOptionValue("username");
        String pass = cl.getOptionValue("password", System.getenv("MULTIARCH_PASSWORD"));
        CredentialSource explicit = CredentialSource.NONE;
        if (user != null) {
            if (pass == null) {
                throw new UsageException("--username needs --password (or MULTIARCH_PASSWORD)");
            }
            explicit = CredentialSource.forRegistry(registry, Credentials.basic(user, pass));
        } else if (cl.hasOption("password")) {
            throw new UsageException("--password needs --username");
        }
        String cfg = cl.getOptionValue("docker-cfg");
        DockerConfig docker = DockerConfig.load(cfg != null ? Path.of(cfg) : DockerConfig.defaultLocation());
        return RegistryClient.builder()
                .withCredentials(explicit.orElse(docker))
                .withInsecureEverywhere(cl.hasOption("insecure"))
                .withPlainHttp(cl.hasOption("plain-http"))
                .create();
    }
}
