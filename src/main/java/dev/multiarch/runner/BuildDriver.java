package dev.multiarch.runner;

import dev.multiarch.dispatch.Protocol;
import java.nio.file.Path;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * Builds one platform's image from a checked-out source and leaves it in a {@code dir:} layout (containers/image's
 * directory format: {@code manifest.json} and one file per blob, named by its hex digest), ready to push.
 */
interface BuildDriver {
    /** What was built: the layout, and how many layers the build added on top of its base image. */
    record Built(Path layout, int addedLayers) {}

    Built build(Protocol.Assignment job, Path source, Path out, Consumer<String> log, Instant deadline, Exec.Stop stop)
            throws Exec.StepFailed;
}
