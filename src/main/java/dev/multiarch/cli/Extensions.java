package dev.multiarch.cli;

import dev.multiarch.config.ServiceConfig;
import dev.multiarch.github.GitHubConfig;
import dev.multiarch.github.GitHubIntegration;
import dev.multiarch.web.CoordinatorApp;
import java.nio.file.Path;
import java.util.List;

/** Optional parts of the coordinator switched on by the configuration: the GitHub integration. */
final class Extensions {
    private Extensions() {}

    static List<CoordinatorApp.Plugin> plugins(ServiceConfig config, Path baseDir) {
        if (config.github().isEmpty()) {
            return List.of();
        }
        GitHubConfig gh = GitHubConfig.of(config.github().get().values(), baseDir);
        return List.of(new GitHubIntegration(gh, config.publicUrl()));
    }
}
