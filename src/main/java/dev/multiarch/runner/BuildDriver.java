package dev.multiarch.runner;

import dev.multiarch.dispatch.Protocol;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Builds one platform's image from a checked-out source and leaves it in a {@code dir:} layout (containers/image's
 * directory format: {@code manifest.json} and one file per blob, named by its hex digest), ready to push.
 */
interface BuildDriver {
    /**
     * What to build.
     *
     * @param checkout   the checkout's real path
     * @param dockerfile the Dockerfile's real path, inside {@code checkout} ({@link Checkout} made sure)
     * @param context    the build context's real path, inside {@code checkout}
     * @param authFile   a Docker config JSON with the job's registry credentials (or none): the only credentials
     *                   the build may pull with; 0600, deleted after the build
     * @param annotations written as labels, and as manifest annotations in the OCI format: the assignment's, with
     *                   {@code org.opencontainers.image.created} from the commit
     * @param built      run once the build command itself has ended, well or not: what follows (export, audit,
     *                   push) is light, and the runner may start another job's build meanwhile
     */
    record Input(
            Protocol.Assignment job,
            Path checkout,
            Path dockerfile,
            Path context,
            Path authFile,
            Map<String, String> annotations,
            Runnable built) {}

    /** What was built: the layout, and how many layers the build added on top of its base image. */
    record Built(Path layout, int addedLayers) {}

    /** @param steps where the build's own steps ({@code build}, {@code export}…) record their time */
    Built build(Input in, Path out, Consumer<String> log, Instant deadline, Exec.Stop stop, Steps steps)
            throws Exec.StepFailed;
}
