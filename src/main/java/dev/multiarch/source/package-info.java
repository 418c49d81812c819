/**
 * Where source code comes from: git, at an exact commit. {@link dev.multiarch.source.SourceCache} keeps a bare mirror
 * per clone URL: a commit is fetched once ({@code --depth 1}) and each job writes its tree into its own directory from
 * there ({@code read-tree -u} with a private index: no {@code .git} in the build context, as BuildKit's git contexts).
 * A local source's objects are borrowed ({@code objects/info/alternates}) rather than packed and copied. The
 * coordinator reads {@code .multiarch.yaml} through one; runners check commits out through one under their work
 * directory (trusted jobs) or one of the job's own (untrusted jobs). Files of a commit stored in Git LFS are fetched
 * into the mirror too, by git-lfs pinned to the clone URL's endpoint, and written over their pointers in each
 * checkout ({@link dev.multiarch.source.Lfs}).
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
