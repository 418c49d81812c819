package dev.multiarch.source;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Git LFS: the files of a commit that git would hand to the {@code lfs} filter, their objects fetched into the
 * mirror ({@code lfs/objects}, git-lfs's own layout, so every job of the commit reuses them) and copied over the
 * pointer files of a job's checkout. Never a silent pointer file: an object that cannot be had fails the job, naming
 * the files.
 *
 * <p>Which files: those with {@code filter=lfs} in the commit's own {@code .gitattributes} (asked of {@code git
 * check-attr --cached} over a scratch index of the commit) whose content is a pointer (spec v1: {@code version}, {@code
 * oid sha256:}, {@code size}). A file with the attribute that is not a pointer is left as it is, as git-lfs's smudge
 * filter does.
 *
 * <p>The repository is written by strangers, and its {@code .lfsconfig} may set {@code lfs.url}, {@code
 * remote.*.lfsurl}, {@code lfs.fetchinclude} and a few more (git-lfs reads only the keys of its
 * {@code config.safeKeys}, plus {@code *.access} and {@code remote.*} keys, from that file; never a transfer agent or an
 * extension program). So git-lfs runs with its endpoint pinned to the clone URL ({@code lfs.url}, through {@code
 * GIT_CONFIG_*}, which git-lfs reads after {@code .lfsconfig}, so ours wins), the Authorization header scoped to
 * the clone URL ({@code http.<url>.extraHeader}), the protocols of the clone URL only, no system or global
 * configuration, and in the bare mirror, whose {@code HEAD} names no commit, so git-lfs finds no {@code .lfsconfig}
 * to read at all. The objects it fetched are checked by size, and by SHA-256 as they are copied.
 */
final class Lfs {
    /** git-lfs's own cut-off: a pointer is never larger (lfs.blobSizeCutoff). */
    static final int POINTER_MAX = 1024;

    private static final String VERSION = "version https://git-lfs.github.com/spec/v1";
    private static final Pattern OID = Pattern.compile("oid sha256:([0-9a-f]{64})");
    /** At most 18 digits: always a {@code long} (a 19-digit size could overflow one). */
    private static final Pattern SIZE = Pattern.compile("size (0|[1-9][0-9]{0,17})");

    /** Attribute files read whole for the cheap "does this commit use LFS at all" look; larger ones skip it. */
    static final long ATTRIBUTES_READ_MAX = 1L << 20;

    /** At most this many LFS files, and this many bytes of them, are fetched for one commit. */
    static final int FILES_MAX = 50_000;

    static final long BYTES_MAX = 50L << 30;
    private static final Pattern KEY = Pattern.compile("[a-z0-9.-]+ .*");

    /** The program, looked up on {@code PATH} when it has no '/'. */
    static final String PROGRAM = "git-lfs";

    /** Files named in a message, at most. */
    private static final int NAMED = 10;

    private Lfs() {}

    /**
     * A file of the commit stored in LFS: its path, and the object that holds its content.
     *
     * @param blob the git object of its pointer (null when not read from a tree)
     */
    record File(String path, String oid, long size, String blob) {
        File(String path, String oid, long size) {
            this(path, oid, size, null);
        }

        @Override
        public String toString() {
            return path;
        }
    }

    private record Entry(String mode, String oid, long size, String path) {}

    /**
     * The commit's files stored in LFS; empty (cheaply) when no {@code .gitattributes} of it mentions {@code
     * filter=lfs}.
     *
     * @param scratchIndex a file this call may write and deletes (an index of the commit, for {@code check-attr})
     */
    static List<File> files(Path gitDir, String commit, Path scratchIndex) {
        Git.Out tree = Git.ok(gitDir, null, Git.Call.OWN_REPO, "ls-tree", "-r", "-l", "-z", "--full-tree", commit);
        List<Entry> entries = new ArrayList<>();
        for (String rec : tree.out().split("\0")) {
            int tab = rec.indexOf('\t');
            if (tab < 0) {
                continue;
            }
            String[] f = rec.substring(0, tab).trim().split(" +");
            if (f.length == 4 && f[1].equals("blob")) {
                entries.add(new Entry(f[0], f[2], Long.parseLong(f[3]), rec.substring(tab + 1)));
            }
        }
        List<Entry> attributes = entries.stream()
                .filter(e -> e.path().equals(".gitattributes") || e.path().endsWith("/.gitattributes"))
                .toList();
        if (attributes.isEmpty()) {
            return List.of();
        }
        // The cheap look reads each distinct attribute file once, and none that is large (a stranger's tree may name
        // one huge blob from many directories); with a large one, check-attr below decides.
        if (attributes.stream().allMatch(e -> e.size() <= ATTRIBUTES_READ_MAX)
                && blobs(gitDir, attributes.stream().map(Entry::oid).distinct().toList()).values().stream()
                        .noneMatch(b -> new String(b, StandardCharsets.ISO_8859_1).contains("lfs"))) {
            return List.of();
        }
        List<Entry> small = entries.stream()
                .filter(e -> (e.mode().equals("100644") || e.mode().equals("100755"))
                        && e.size() > 0
                        && e.size() < POINTER_MAX)
                .toList();
        if (small.isEmpty()) {
            return List.of();
        }
        for (Entry e : small) {
            if (e.path().indexOf('\uFFFD') >= 0) {
                // Read as UTF-8, the name would not match git's: never risk leaving a pointer file unnoticed.
                throw new Git.GitException("Git LFS: the commit has a file name that is not UTF-8 ("
                        + e.path().replaceAll("[\\x00-\\x1f\\x7f]", "?") + "); not supported with LFS");
            }
        }
        Set<String> filtered = filteredByLfs(gitDir, commit, scratchIndex, small);
        List<Entry> wanted =
                small.stream().filter(e -> filtered.contains(e.path())).toList();
        Map<String, byte[]> content =
                blobs(gitDir, wanted.stream().map(Entry::oid).distinct().toList());
        List<File> files = new ArrayList<>();
        for (Entry e : wanted) {
            File f = pointer(e.path(), content.get(e.oid()));
            if (f != null) {
                files.add(new File(f.path(), f.oid(), f.size(), e.oid()));
            }
        }
        return List.copyOf(files);
    }

    /** Which of these paths have {@code filter=lfs}, by the commit's own attributes (through a scratch index). */
    private static Set<String> filteredByLfs(Path gitDir, String commit, Path index, List<Entry> paths) {
        try {
            Git.ok(gitDir, null, Git.Call.withIndex(index), "read-tree", "--end-of-options", commit + "^{tree}");
            StringBuilder in = new StringBuilder();
            paths.forEach(e -> in.append(e.path()).append('\0'));
            Git.Raw r = Git.exec(
                    List.of("git", "check-attr", "--cached", "-z", "--stdin", "filter"),
                    gitDir,
                    Git.Call.withIndex(index).environment(),
                    in.toString().getBytes(StandardCharsets.UTF_8),
                    "git check-attr");
            if (r.exit() != 0) {
                throw new Git.GitException("git check-attr failed (exit " + r.exit() + "): " + Git.lastLines(r.err()));
            }
            // path NUL attribute NUL value NUL, repeated
            String[] f = new String(r.out(), StandardCharsets.UTF_8).split("\0");
            Set<String> lfs = new HashSet<>();
            for (int i = 0; i + 2 < f.length; i += 3) {
                if (f[i + 2].equals("lfs")) {
                    lfs.add(f[i]);
                }
            }
            return lfs;
        } finally {
            try {
                Files.deleteIfExists(index);
            } catch (IOException ignored) {
                // a scratch file under the cache's directory, removed when the cache opens next
            }
        }
    }

    /** Blob contents by object id ({@code git cat-file --batch}). */
    private static Map<String, byte[]> blobs(Path gitDir, List<String> oids) {
        Map<String, byte[]> out = new java.util.HashMap<>();
        if (oids.isEmpty()) {
            return out;
        }
        byte[] in = (String.join("\n", oids) + "\n").getBytes(StandardCharsets.US_ASCII);
        Git.Raw r = Git.exec(
                List.of("git", "cat-file", "--batch"),
                gitDir,
                Git.Call.OWN_REPO.environment(),
                in,
                "git cat-file --batch");
        if (r.exit() != 0) {
            throw new Git.GitException(
                    "git cat-file --batch failed (exit " + r.exit() + "): " + Git.lastLines(r.err()));
        }
        byte[] b = r.out();
        int i = 0;
        while (i < b.length) {
            int eol = i;
            while (eol < b.length && b[eol] != '\n') {
                eol++;
            }
            String[] head = new String(b, i, eol - i, StandardCharsets.US_ASCII).split(" ");
            if (head.length != 3) {
                break; // "<oid> missing"
            }
            int size = Integer.parseInt(head[2]);
            int start = eol + 1;
            out.put(head[0], java.util.Arrays.copyOfRange(b, start, start + size));
            i = start + size + 1;
        }
        return out;
    }

    /** The pointer a file holds, or null when it holds something else (left as it is). */
    static File pointer(String path, byte[] content) {
        if (content == null || content.length >= POINTER_MAX) {
            return null;
        }
        String text = new String(content, StandardCharsets.UTF_8);
        if (!text.endsWith("\n")) {
            return null;
        }
        List<String> lines = text.lines().toList();
        if (lines.isEmpty() || !lines.get(0).equals(VERSION)) {
            return null;
        }
        String oid = null;
        Long size = null;
        for (String line : lines.subList(1, lines.size())) {
            var o = OID.matcher(line);
            var s = SIZE.matcher(line);
            if (o.matches()) {
                oid = o.group(1);
            } else if (s.matches()) {
                size = Long.parseLong(s.group(1));
            } else if (line.startsWith("ext-")) {
                throw new Git.GitException(path + " is stored in Git LFS with an extension (" + line
                        + "), which needs a program of the repository's to read: not supported");
            } else if (!KEY.matcher(line).matches()) {
                return null;
            }
        }
        return oid == null || size == null ? null : new File(path, oid, size);
    }

    /** Where git-lfs keeps an object in a (bare) repository. */
    static Path object(Path gitDir, String oid) {
        return gitDir.resolve("lfs/objects")
                .resolve(oid.substring(0, 2))
                .resolve(oid.substring(2, 4))
                .resolve(oid);
    }

    /** The files whose objects the mirror does not have (whole). */
    static List<File> missing(Path gitDir, List<File> files) {
        List<File> missing = new ArrayList<>();
        for (File f : files) {
            Path o = object(gitDir, f.oid());
            try {
                if (!Files.isRegularFile(o, LinkOption.NOFOLLOW_LINKS) || Files.size(o) != f.size()) {
                    missing.add(f);
                }
            } catch (IOException e) {
                missing.add(f);
            }
        }
        return missing;
    }

    /**
     * The LFS endpoint git-lfs itself derives from a clone URL ({@code lfsapi.NewEndpointFromCloneURL}): {@code
     * URL/info/lfs}, with {@code .git} added when the URL does not end in it; a local repository's path as a {@code
     * file://} URL (git-lfs's standalone file transfer, built in).
     */
    static String endpoint(CloneUrl url) {
        String u = url.url();
        if (url.kind() == CloneUrl.Kind.LOCAL) {
            return u.startsWith("file://") ? u : "file://" + u;
        }
        while (u.endsWith("/")) {
            u = u.substring(0, u.length() - 1);
        }
        return u.endsWith(".git") ? u + "/info/lfs" : u + ".git/info/lfs";
    }

    /**
     * Fetches the objects of {@code needed} (LFS files of {@code commit}: those a checkout writes) into the mirror with
     * git-lfs, and no other. Returns null, or why (naming the files whose objects are still missing).
     *
     * @param program git-lfs (a name looked up on {@code PATH}, or a path)
     */
    static String fetch(
            Path gitDir,
            CloneUrl url,
            String commit,
            String authorization,
            String program,
            List<File> needed,
            List<File> held,
            Consumer<String> log) {
        // One commit's bound counts what is held of it already: checkouts of its other contexts fetched those.
        long files = needed.size() + held.size();
        long bytes = needed.stream().mapToLong(File::size).sum()
                + held.stream().mapToLong(File::size).sum();
        if (files > FILES_MAX || bytes > BYTES_MAX) {
            return "commit " + commit + " needs " + files + " file(s), " + bytes + " bytes, from Git LFS: more "
                    + "than a runner fetches for one commit (" + FILES_MAX + " files, " + BYTES_MAX + " bytes)";
        }
        if (!installed(program)) {
            return "commit " + commit + " stores " + needed.size() + " file(s) in Git LFS (" + names(needed)
                    + ") but git-lfs is not installed on this runner: install it (Debian, Ubuntu: apt-get install"
                    + " git-lfs) or build without these files";
        }
        List<Map.Entry<String, String>> config = new ArrayList<>();
        // git-lfs runs git itself: it gets the clone URL's protocols only, as our own git commands do.
        List<String> protocols = url.protocolConfig();
        for (int i = 0; i + 1 < protocols.size(); i += 2) {
            String kv = protocols.get(i + 1);
            int eq = kv.indexOf('=');
            config.add(Map.entry(kv.substring(0, eq), kv.substring(eq + 1)));
        }
        String endpoint = endpoint(url);
        // Outranks .lfsconfig's lfs.url and remote.*.lfsurl (git-lfs reads git's configuration after .lfsconfig,
        // and lfs.url first of all: lfsapi/endpoint_finder.go).
        config.add(Map.entry("lfs.url", endpoint));
        config.addAll(Git.authorizationConfig(url, authorization));
        // An empty home: git-lfs would otherwise fill in credentials from the runner user's ~/.netrc for whichever
        // host asks (a download link the server names may be on another host).
        Path home = gitDir.resolve("lfs/home");
        try {
            Files.createDirectories(home);
        } catch (IOException e) {
            return "Git LFS: cannot create " + home + ": " + e.getMessage();
        }
        Git.Call call = new Git.Call(List.of(), config, true, Map.of("HOME", home.toString()));
        // git-lfs fetches the LFS objects of a commit's tree: it is given a commit of our own whose tree holds just the
        // pointers of the files needed (a job's build context), not the whole commit.
        String only = pointersCommit(gitDir, needed);
        if (only == null) {
            // Never the whole commit instead: git-lfs would fetch what nobody counted against the bound.
            return "Git LFS: the pointers of " + names(needed) + " were not read from commit " + commit;
        }
        Git.Raw r = Git.exec(
                List.of(program, "fetch", "--", url.url(), only),
                gitDir,
                call.environment(),
                null,
                "git-lfs fetch " + url + " " + commit);
        String said = (new String(r.out(), StandardCharsets.UTF_8) + "\n" + r.err()).strip();
        if (log != null && !said.isBlank()) {
            log.accept(said);
        }
        List<File> missing = missing(gitDir, needed);
        if (missing.isEmpty()) {
            return null;
        }
        return "Git LFS: the server at " + CloneUrl.display(endpoint) + " did not give the content of "
                + missing.size() + " file(s) of commit " + commit + ": " + names(missing) + " (git-lfs fetch, exit "
                + r.exit() + ": " + Git.lastLines(said.isBlank() ? "no output" : said) + ")";
    }

    /**
     * A commit (unreferenced: git's gc removes it in its own time) whose tree holds the pointers of {@code files} and
     * nothing else, one per object, named by the object's id; null when a file's pointer object is not known.
     */
    static String pointersCommit(Path gitDir, List<File> files) {
        StringBuilder tree = new StringBuilder();
        Set<String> seen = new HashSet<>();
        for (File f : files) {
            if (f.blob() == null) {
                return null;
            }
            if (seen.add(f.oid())) {
                tree.append("100644 blob ")
                        .append(Git.objectId(f.blob()))
                        .append('\t')
                        .append(f.oid())
                        .append('\n');
            }
        }
        Git.Raw mktree = Git.exec(
                List.of("git", "mktree"),
                gitDir,
                Git.Call.OWN_REPO.environment(),
                tree.toString().getBytes(StandardCharsets.US_ASCII),
                "git mktree");
        if (mktree.exit() != 0) {
            throw new Git.GitException(
                    "git mktree failed (exit " + mktree.exit() + "): " + Git.lastLines(mktree.err()));
        }
        String treeId = new String(mktree.out(), StandardCharsets.US_ASCII).trim();
        String who = "multiarch";
        Map<String, String> env = Map.of(
                "GIT_AUTHOR_NAME", who,
                "GIT_AUTHOR_EMAIL", who,
                "GIT_AUTHOR_DATE", "1970-01-01T00:00:00Z",
                "GIT_COMMITTER_NAME", who,
                "GIT_COMMITTER_EMAIL", who,
                "GIT_COMMITTER_DATE", "1970-01-01T00:00:00Z");
        return Git.ok(
                        gitDir,
                        null,
                        new Git.Call(Git.BASE_PROTOCOLS, List.of(), true, env),
                        "commit-tree",
                        "-m",
                        "the Git LFS files a checkout needs",
                        "--end-of-options",
                        Git.objectId(treeId))
                .out()
                .trim();
    }

    /** Removes what an unfinished git-lfs fetch left (partial downloads); objects it completed are kept. */
    static void removePartial(Path gitDir) {
        for (String d : List.of("lfs/incomplete", "lfs/tmp")) {
            Path p = gitDir.resolve(d);
            try {
                if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                    Git.deleteTree(p);
                }
            } catch (IOException e) {
                // tried again after the next failed fetch
            }
        }
    }

    private static boolean installed(String program) {
        if (program.contains("/")) {
            return Files.isExecutable(Path.of(program));
        }
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, program))) {
                return true;
            }
        }
        return false;
    }

    static String names(List<File> files) {
        List<String> names = files.stream().limit(NAMED).map(File::path).toList();
        return String.join(", ", names) + (files.size() > NAMED ? " and " + (files.size() - NAMED) + " more" : "");
    }

    /**
     * Writes the content of each LFS file over its pointer in {@code worktree} (written by {@code read-tree}: the
     * file's mode stays), checking the object's SHA-256 on the way.
     */
    /**
     * Whether {@code dir}, with every symbolic link on its way followed, is in {@code realBase}: NOFOLLOW_LINKS guards
     * the last name of a path only, and a directory of the checkout that is a link (git writes what the tree says)
     * would take the write out of it.
     */
    private static boolean inside(Path realBase, Path dir) {
        try {
            return dir.toRealPath().startsWith(realBase);
        } catch (IOException e) {
            return false;
        }
    }

    static void materialize(Path gitDir, List<File> files, Path worktree) {
        byte[] buf = new byte[1 << 16];
        Path base = worktree.toAbsolutePath().normalize();
        Path realBase;
        try {
            realBase = base.toRealPath();
        } catch (IOException e) {
            throw new Git.GitException("Git LFS: the checkout " + base + " is not there: " + e.getMessage());
        }
        for (File f : files) {
            Path target = base.resolve(f.path()).normalize();
            if (!target.startsWith(base)
                    || !Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)
                    || !inside(realBase, target.getParent())) {
                throw new Git.GitException("Git LFS: " + f.path() + " is not a file of the checkout");
            }
            MessageDigest sha;
            try {
                sha = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            try (InputStream in = Files.newInputStream(object(gitDir, f.oid()), LinkOption.NOFOLLOW_LINKS);
                    OutputStream out = Files.newOutputStream(
                            target,
                            StandardOpenOption.WRITE,
                            StandardOpenOption.TRUNCATE_EXISTING,
                            LinkOption.NOFOLLOW_LINKS)) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    sha.update(buf, 0, n);
                    out.write(buf, 0, n);
                }
            } catch (IOException e) {
                throw new Git.GitException(
                        "Git LFS: cannot write " + f.path() + " from the source cache: " + e.getMessage());
            }
            String got = HexFormat.of().formatHex(sha.digest());
            if (!got.equals(f.oid())) {
                // Deleted, so that the next checkout of the commit fetches it again instead of failing the same way.
                try {
                    Files.deleteIfExists(object(gitDir, f.oid()));
                } catch (IOException ignored) {
                    // then the next checkout fails the same way, and says so
                }
                throw new Git.GitException("Git LFS: the content of " + f.path() + " in the source cache is sha256:"
                        + got + ", not sha256:" + f.oid() + " (a damaged cache?)");
            }
        }
    }
}
