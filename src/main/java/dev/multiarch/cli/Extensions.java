package dev.multiarch.cli;

import dev.multiarch.config.ServiceConfig;
import dev.multiarch.web.CoordinatorServer;
import java.util.List;

/** Optional parts of the coordinator switched on by the configuration (the GitHub integration). */
final class Extensions {
    private Extensions() {}

    static List<CoordinatorServer.Routes> routes(ServiceConfig config) {
        return List.of();
    }
}
