package dev.multiarch.config;

import dev.multiarch.platform.InvalidPlatformException;
import dev.multiarch.platform.Platform;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A runner's {@code runner.yaml} ({@code multiarch runner --config runner.yaml}); {@code runners/} holds one per
 * kind of host.
 *
 * @param nativePlatforms null means detect from the host; empty means none (a QEMU-only runner)
 * @param qemuPlatforms   null means detect from binfmt_misc; empty means none
 * @param jobs            how many jobs to run at once; {@code auto} (the default): {@link #defaultJobs}
 * @param insecureRegistries registries builds may pull base images from over plain HTTP or unverified TLS
 * @param untrustedJobs   {@code untrusted-jobs}: this runner builds pull requests from forks and nothing else
 *                        (false: it never gets them)
 * @param allowLocalSources {@code allow-local-sources}: clone URLs may name local repositories (a path or
 *                        {@code file://}); off by default, so a job cannot make the runner read its own disk
 * @param cacheSize       {@code cache-size}: how much disk the runner's layer cache (image storage kept between jobs,
 *                        one per image and platform) may take before the least recently used are removed;
 *                        {@link #DEFAULT_CACHE_SIZE} by default; 0 keeps nothing between jobs
 */
public record RunnerConfig(
        String coordinator,
        String name,
        String registrationSecret,
        Path workDir,
        String driver,
        List<Platform> nativePlatforms,
        List<Platform> qemuPlatforms,
        boolean aarch32,
        String storageDriver,
        int jobs,
        List<String> insecureRegistries,
        boolean untrustedJobs,
        boolean allowLocalSources,
        long cacheSize) {

    /** 20 GiB: a few dozen images' layers on every platform. */
    public static final long DEFAULT_CACHE_SIZE = 20L << 30;

    public static RunnerConfig parse(String file, String text, Map<String, String> env, Path baseDir) {
        Fields f = new Fields(LocatedYaml.parse(file, text), env);
        f.onlyKeys(
                "",
                Set.of(
                        "coordinator",
                        "name",
                        "registration-secret",
                        "work-dir",
                        "driver",
                        "native",
                        "qemu",
                        "aarch32",
                        "storage-driver",
                        "jobs",
                        "insecure-registries",
                        "untrusted-jobs",
                        "allow-local-sources",
                        "cache-size"));
        String coordinator = f.required("coordinator").replaceAll("/+$", "");
        if (!coordinator.startsWith("http://") && !coordinator.startsWith("https://")) {
            throw f.error("coordinator", "expected the coordinator's URL, e.g. http://coordinator.example:8080");
        }
        String driver = f.string("driver", "buildah");
        if (!driver.equals("buildah") && !driver.equals("buildx")) {
            throw f.error("driver", "expected buildah or buildx, got '" + driver + "'");
        }
        boolean untrusted = f.bool("untrusted-jobs", false);
        if (untrusted && driver.equals("buildx")) {
            throw f.error(
                    "untrusted-jobs",
                    "needs driver: buildah (buildx shares the Docker engine's build cache and credentials between jobs)");
        }
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            host = "runner";
        }
        return new RunnerConfig(
                coordinator,
                f.string("name", host),
                f.required("registration-secret"),
                f.path("work-dir", baseDir, "runner-work"),
                driver,
                auto(f, "native") ? null : platforms(f, "native"),
                auto(f, "qemu") ? null : platforms(f, "qemu"),
                f.bool("aarch32", false),
                f.string("storage-driver", "vfs"),
                auto(f, "jobs") ? defaultJobs(Runtime.getRuntime().availableProcessors()) : f.integer("jobs", 1, 1, 64),
                f.strings("insecure-registries"),
                untrusted,
                f.bool("allow-local-sources", false),
                f.bytes("cache-size", DEFAULT_CACHE_SIZE, 0));
    }

    /**
     * How many jobs a host with {@code cores} CPUs builds at once by default: one per core. A job is not all CPU: git,
     * buildah's storage and the push wait on disk and network (buildah bud of the busybox fixture: 0.9 s wall for
     * 0.43 CPU-s), so a second job fills the first one's waits. Measured on 2 cores, the 5-platform fixture (one native,
     * four QEMU), medians of 3 cold builds: 1 job 8.0 s, 2 jobs 6.6 s, 3 jobs 7.3 s (more CPU in contention, no gain).
     * Half the cores would leave a 2-core host at one job. Builds that run {@code make -j$(nproc)} under QEMU use every
     * core on their own: set {@code jobs:} lower there, and where memory is short.
     */
    public static int defaultJobs(int cores) {
        return Math.max(1, cores);
    }

    private static boolean auto(Fields f, String key) {
        return !f.has(key) || (f.node(key).isValueNode() && f.string(key, "").equals("auto"));
    }

    private static List<Platform> platforms(Fields f, String key) {
        List<Platform> out = new ArrayList<>();
        List<String> texts = f.strings(key);
        for (int i = 0; i < texts.size(); i++) {
            try {
                out.add(Platform.parse(texts.get(i)).validate());
            } catch (InvalidPlatformException e) {
                throw f.error(key + "[" + i + "]", e.getMessage());
            }
        }
        return List.copyOf(out);
    }

    @Override
    public String toString() {
        return "RunnerConfig[" + name + " → " + coordinator + ", " + driver
                + (untrustedJobs ? ", untrusted jobs only" : "") + ", secret <redacted>]";
    }
}
