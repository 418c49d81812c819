package dev.multiarch.testing;

import dev.multiarch.platform.Platform;
import dev.multiarch.registry.Digest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Real per-platform images, built once per test JVM with buildah ({@code --storage-driver vfs --isolation chroot})
 * from a Dockerfile that copies Debian's busybox-static for that architecture and RUNs it, so a foreign image's RUN
 * step really executes through qemu-user-static. The RUN step writes {@code uname -m} to /etc/built-on-arch.
 * The busybox binaries come from {@code bin/setup-host} ({@code $MULTIARCH_CACHE/busybox/<debian-arch>}).
 */
public final class TestImages {
    private TestImages() {}

    public static final List<Platform> FIVE = List.of(
            Platform.parse("linux/amd64"),
            Platform.parse("linux/arm64"),
            Platform.parse("linux/arm/v7"),
            Platform.parse("linux/ppc64le"),
            Platform.parse("linux/s390x"));

    /** Debian's name for each architecture (what busybox-static:ARCH is called). */
    private static final Map<String, String> DEBIAN = Map.of(
            "linux/amd64",
            "amd64",
            "linux/arm64",
            "arm64",
            "linux/arm/v7",
            "armhf",
            "linux/arm/v6",
            "armel",
            "linux/ppc64le",
            "ppc64el",
            "linux/s390x",
            "s390x",
            "windows/amd64",
            "amd64");

    public enum Format {
        OCI,
        DOCKER
    }

    private static final Map<String, String> BUILT = new ConcurrentHashMap<>();
    private static final Path ROOT = Path.of("target", "buildah").toAbsolutePath();

    public static List<String> buildah(String... args) {
        List<String> cmd = new ArrayList<>(List.of(
                "buildah",
                "--storage-driver",
                "vfs",
                "--root",
                ROOT.resolve("root").toString(),
                "--runroot",
                ROOT.resolve("run").toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    public static Path busybox(String debianArch) {
        String cache = System.getenv("MULTIARCH_CACHE");
        Path base = cache != null ? Path.of(cache) : Path.of(System.getProperty("user.home"), ".cache", "multiarch");
        Path p = base.resolve("busybox").resolve(debianArch).resolve("busybox");
        if (!Files.isExecutable(p)) {
            throw new IllegalStateException(p + " is missing: run bin/setup-host first");
        }
        return p;
    }

    /** Builds (once) the image for a Linux platform; returns its local name. */
    public static synchronized String build(Platform p) {
        return BUILT.computeIfAbsent(p.shortForm(), k -> {
            String name = buildWith(
                    p,
                    "mt-" + k.replace('/', '-'),
                    "RUN [\"/bin/busybox\", \"sh\", \"-c\", \"/bin/busybox mkdir -p /etc && /bin/busybox uname -m > /etc/built-on-arch\"]\n",
                    List.of("--platform", k));
            fixVariant(name, p.variant());
            return name;
        });
    }

    /**
     * buildah 1.28 writes variant v7 into the config of a {@code --platform linux/arm/v6} build (seen here); set the
     * variant that was asked for, as a v6 build on a real armel builder would.
     */
    private static void fixVariant(String name, String variant) {
        String written = Proc.ok(buildah("inspect", "--type", "image", "--format", "{{.OCIv1.Variant}}", name))
                .out()
                .trim();
        if (variant.isEmpty() || variant.equals(written)) {
            return;
        }
        String container = Proc.ok(buildah("from", "-q", name)).out().trim();
        Proc.ok(buildah("config", "--variant", variant, container));
        Proc.ok(buildah("commit", "-q", container, name));
        Proc.ok(buildah("rm", container));
    }

    /**
     * Builds (once) a Windows-labelled image (busybox copied, no RUN: nothing Windows can execute here) whose config
     * states os windows, an os.version and os.features, as a Windows base image would.
     */
    public static synchronized String buildWindows(String osVersion, String osFeature) {
        return BUILT.computeIfAbsent(
                "windows/amd64@" + osVersion,
                k -> buildWith(
                        Platform.parse("windows/amd64"),
                        "mt-windows",
                        "",
                        List.of(
                                "--os",
                                "windows",
                                "--arch",
                                "amd64",
                                "--os-version",
                                osVersion,
                                "--os-feature",
                                osFeature)));
    }

    private static String buildWith(Platform p, String name, String runStep, List<String> platformArgs) {
        try {
            Path ctx = Files.createTempDirectory("ctx");
            Files.copy(busybox(DEBIAN.get(p.shortForm())), ctx.resolve("busybox"));
            Files.writeString(ctx.resolve("Dockerfile"), "FROM scratch\nCOPY busybox /bin/busybox\n" + runStep);
            List<String> cmd = new ArrayList<>(buildah("bud", "-q", "--isolation", "chroot"));
            cmd.addAll(platformArgs);
            cmd.addAll(List.of("-t", name, ctx.toString()));
            Proc.ok(cmd);
            Proc.run(List.of("rm", "-rf", ctx.toString()), null, 60);
            return name;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Pushes a local image to {@code ref} ({@code host/repo:tag}); returns the pushed manifest's digest. */
    public static Digest push(String local, String ref, Format format, String creds) {
        try {
            Path digestFile = Files.createTempFile("digest", ".txt");
            List<String> cmd = new ArrayList<>(buildah(
                    "push",
                    "-q",
                    "--tls-verify=false",
                    "--format",
                    format == Format.OCI ? "oci" : "v2s2",
                    "--digestfile",
                    digestFile.toString()));
            if (creds != null) {
                cmd.addAll(List.of("--creds", creds));
            }
            cmd.addAll(List.of(local, "docker://" + ref));
            Proc.ok(cmd);
            Digest d = Digest.parse(Files.readString(digestFile).trim());
            Files.delete(digestFile);
            return d;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Digest push(Platform p, String ref, Format format) {
        return push(build(p), ref, format, null);
    }
}
