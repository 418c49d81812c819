/**
 * Where source code comes from: git, at an exact commit. The coordinator reads {@code .multiarch.yaml} through it
 * (into a cache of bare repositories, fetching only the commit asked for); runners check the commit out into their
 * work directory.
 *
 * <p>Clone URLs and commits come from webhook payloads and API calls, and repositories from strangers, so git is run
 * defensively (see {@link dev.multiarch.source.CloneUrl} and {@link dev.multiarch.source.Git}): https, or http to a
 * loopback host; a local path or {@code file://} only where the caller allows local sources ({@code multiarch build
 * DIR}, a runner or coordinator with {@code allow-local-sources}); never an option, a remote helper ({@code ext::})
 * or ssh. git gets {@code protocol.allow=never} plus the one protocol the URL needs, {@code --} before positional
 * arguments, full hex commit ids only, an environment with nothing of ours in it, and no system or global git
 * configuration when it talks to a remote.
 */
package dev.multiarch.source;
