package dev.multiarch.runner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Where the Dockerfile and the build context really are. A repository is a stranger's file tree: its
 * {@code Dockerfile} may be a symlink to {@code /etc/shadow} or to the runner's {@code runner-identity.json}, its
 * context a symlink to {@code /}. buildah follows such links, so both are resolved here with every symlink followed
 * ({@link Path#toRealPath}) and must stay inside the checkout; the build is then given the real paths. The checkout
 * may hold only the context and the Dockerfile ({@code SourceCache.Scope}): a context or Dockerfile reached through a
 * symlink of the tree gets the whole tree, so these checks judge the same files either way. The ignore files buildah
 * reads (next to the Dockerfile, in the context) are held to the same rule.
 */
final class Checkout {
    private Checkout() {}

    /** The checkout's real path and the real paths of its Dockerfile and context. */
    record Resolved(Path root, Path dockerfile, Path context) {}

    /**
     * @param dockerfile as configured: relative to the repository's root
     * @param context    as configured: relative to the repository's root
     */
    static Resolved resolve(Path checkout, String dockerfile, String context) throws Exec.StepFailed {
        Path root;
        try {
            root = checkout.toRealPath();
        } catch (IOException e) {
            throw new Exec.StepFailed("cannot read the checkout: " + e.getMessage());
        }
        Path ctx = inside(root, context, "context");
        if (!Files.isDirectory(ctx)) {
            throw new Exec.StepFailed("the build context '" + context + "' is not a directory of the repository");
        }
        Path df = inside(root, dockerfile, "Dockerfile");
        if (!Files.isRegularFile(df)) {
            throw new Exec.StepFailed("the Dockerfile '" + dockerfile + "' is not a file of the repository");
        }
        // The ignore files buildah reads: next to the Dockerfile it is given, then in the context. It follows links
        // there too, so a link out of the checkout would feed it a file of the runner's as patterns.
        for (Path ignore : List.of(
                df.resolveSibling(df.getFileName() + ".containerignore"),
                df.resolveSibling(df.getFileName() + ".dockerignore"),
                ctx.resolve(".containerignore"),
                ctx.resolve(".dockerignore"))) {
            ignoreFileInside(root, ignore);
        }
        return new Resolved(root, df, ctx);
    }

    private static void ignoreFileInside(Path root, Path ignore) throws Exec.StepFailed {
        if (!Files.exists(ignore, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        String name = root.relativize(ignore).toString();
        Path real;
        try {
            real = ignore.toRealPath();
        } catch (IOException e) {
            throw new Exec.StepFailed(
                    "refused: the ignore file '" + name + "' is a symlink to nothing in the repository");
        }
        if (!real.startsWith(root) || !Files.isRegularFile(real)) {
            throw new Exec.StepFailed("refused: the ignore file '" + name + "' leads outside the repository (through a "
                    + "symlink) or is not a file; it must be a file of the repository itself");
        }
    }

    private static Path inside(Path root, String configured, String what) throws Exec.StepFailed {
        Path real;
        try {
            real = root.resolve(configured).toRealPath();
        } catch (NoSuchFileException e) {
            throw new Exec.StepFailed("the " + what + " '" + configured + "' does not exist at this commit "
                    + "(or is a symlink to something that does not)");
        } catch (IOException e) {
            throw new Exec.StepFailed("cannot resolve the " + what + " '" + configured + "': " + e.getMessage());
        }
        if (!real.startsWith(root)) {
            // The resolved path is not shown: it would tell a stranger where the runner keeps its files.
            throw new Exec.StepFailed("refused: the " + what + " '" + configured + "' leads outside the repository "
                    + "(through a symlink or '..'); it must be a file of the repository itself");
        }
        return real;
    }
}
