/**
 * What a platform is, and how two platforms are compared.
 *
 * <p>A {@link dev.multiarch.platform.Platform} is the {@code platform} object of an OCI image index entry (and of a
 * Docker manifest list entry): {@code os}, {@code architecture}, optional {@code variant}, {@code os.version},
 * {@code os.features} and {@code features}. It is parsed from the short form {@code os/arch[/variant]} that docker,
 * buildah and manifest-tool accept on the command line, or from the object itself.
 *
 * <p>Two rules keep comparisons honest:
 * <ul>
 *   <li><b>One normalisation path.</b> {@link dev.multiarch.platform.Platform#normalize()} applies containerd's
 *       rules ({@code x86_64→amd64}, {@code aarch64→arm64}, {@code armhf→arm/v7}, {@code armel→arm/v6},
 *       {@code i386→386}, plain {@code arm} = {@code arm/v7}, {@code arm64/v8} = {@code arm64},
 *       {@code amd64/v1} = {@code amd64}) and understands legacy variant spellings ({@code armv8}, {@code armv7l}).
 *       Both sides of every comparison go through it; the normalised form is for comparing, never for writing: an
 *       index records the platform as the image's own config states it.</li>
 *   <li><b>Tables, not branches.</b> The known OS and architecture names (Go's {@code go tool dist list}, as
 *       manifest-tool checks them), the variant table of OCI image-spec v1.1.1 ("Platform Variants") plus ARM v5,
 *       the aliases and what runs on what are data in {@link dev.multiarch.platform.PlatformTables}.</li>
 * </ul>
 *
 * <p>{@link dev.multiarch.platform.HostPlatform} detects the platform of the machine it runs on (the ARM variant from
 * {@code /proc/cpuinfo}'s "CPU architecture" line, then {@code uname -m}) and which platforms that host executes
 * natively (amd64 runs 386; arm64 runs arm/v8…v5 when the CPU has AArch32). Nothing else in this package ever looks at
 * the host: a {@code Platform} never guesses.
 */
package dev.multiarch.platform;
