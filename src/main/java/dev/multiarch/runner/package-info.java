/**
 * The runner agent ({@code multiarch runner --config runner.yaml}): registers with the coordinator, advertises the
 * platforms it builds natively (the host's own, detected) and through QEMU (binfmt_misc, or declared), long-polls for
 * jobs, and for each: checks the exact commit out with git, builds with a driver (buildah by default, docker buildx
 * as the alternative), audits the ELF programs the build added, pushes the image by digest with multiarch's own
 * registry client (no tag clutter), and reports the digest — streaming its log and keeping its lease alive with
 * heartbeats all along. A job without push credentials builds and audits but publishes nothing.
 */
package dev.multiarch.runner;
