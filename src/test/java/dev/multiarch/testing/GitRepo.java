package dev.multiarch.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A real git repository for a test: a working tree whose commits are pushed to a bare repository (the clone URL). */
public final class GitRepo {
    private final Path work;
    private final Path bare;

    private GitRepo(Path work, Path bare) {
        this.work = work;
        this.bare = bare;
    }

    public static GitRepo create(Path dir) {
        Path work = dir.resolve("work");
        Path bare = dir.resolve("origin.git");
        git(dir, "init", "-q", "--bare", bare.toString());
        git(dir, "init", "-q", work.toString());
        git(work, "remote", "add", "origin", bare.toString());
        try {
            // Commits hold what the test writes (LFS pointers as they are), whatever filters the host configures
            // (git-lfs's Debian package installs its filter system-wide); info/attributes outranks .gitattributes.
            Files.writeString(work.resolve(".git/info/attributes"), "* !filter\n");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return new GitRepo(work, bare);
    }

    private static String git(Path dir, String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of(
                "git",
                "-c",
                "user.email=test@multiarch.dev",
                "-c",
                "user.name=multiarch test",
                "-c",
                "init.defaultBranch=main"));
        cmd.addAll(List.of(args));
        return Proc.run(cmd, dir, 60).check(cmd).out().trim();
    }

    public Path work() {
        return work;
    }

    /** Pushes this repository's HEAD into another's bare repository under {@code ref} (a pull request's head). */
    public void pushTo(GitRepo other, String ref) {
        git(work, "push", "-q", other.bare.toString(), "HEAD:" + ref);
    }

    /** The clone URL runners fetch from. */
    public String cloneUrl() {
        return bare.toString();
    }

    /** Writes files (path → text, or path → a file to copy when the value starts with "@"), commits, pushes; returns the commit. */
    public String commit(String message, Map<String, String> files) {
        try {
            for (Map.Entry<String, String> f : files.entrySet()) {
                Path p = work.resolve(f.getKey());
                Files.createDirectories(p.getParent());
                if (f.getValue().startsWith("@")) {
                    Files.copy(
                            Path.of(f.getValue().substring(1)), p, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                } else {
                    Files.writeString(p, f.getValue());
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        git(work, "add", "-A");
        git(work, "commit", "-q", "--allow-empty", "-m", message);
        git(work, "push", "-q", "origin", "HEAD:refs/heads/main");
        return git(work, "rev-parse", "HEAD");
    }

    /**
     * Stores {@code content} as a Git LFS object of this repository's server side ({@code origin.git/lfs/objects}, as
     * git-lfs keeps them, served by {@link GitHttpServer}) and returns the pointer file to commit in its place.
     */
    public String lfs(String content) {
        byte[] bytes = content.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try {
            String oid = java.util.HexFormat.of()
                    .formatHex(
                            java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
            Path object = bare.resolve("lfs/objects")
                    .resolve(oid.substring(0, 2))
                    .resolve(oid.substring(2, 4))
                    .resolve(oid);
            Files.createDirectories(object.getParent());
            Files.write(object, bytes);
            return "version https://git-lfs.github.com/spec/v1\noid sha256:" + oid + "\nsize " + bytes.length + "\n";
        } catch (IOException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The SHA-256 of a text (an LFS object id). */
    public static String oid(String content) {
        try {
            return java.util.HexFormat.of()
                    .formatHex(java.security.MessageDigest.getInstance("SHA-256")
                            .digest(content.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public void tag(String tag) {
        git(work, "tag", tag);
        git(work, "push", "-q", "origin", "refs/tags/" + tag);
    }
}
