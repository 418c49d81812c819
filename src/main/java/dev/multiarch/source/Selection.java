package dev.multiarch.source;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What of a commit a job's checkout writes ({@link SourceCache.Scope}, looked up in the commit's tree): the build
 * context's directory, the Dockerfile when it lies outside it, and the ignore files buildah reads next to the
 * Dockerfile ({@code <Dockerfile>.containerignore}, {@code <Dockerfile>.dockerignore}; the context's own
 * {@code .dockerignore} and {@code .containerignore} come with the context). Only their LFS objects are fetched.
 *
 * <p>The paths are a stranger's. They are looked up entry by entry, by exact name, in the tree objects of the commit
 * (git is given object ids only, never the path: no {@code <rev>:<path>} or {@code ./} rules, no pathspec magic), and
 * handed to git's checkout as literal pathspecs. The whole tree is written, as before this selection existed, when the
 * context is the root or when a selected path is or goes through a symlink of the tree (a context {@code current ->
 * services/api}): {@code Checkout.resolve} in the runner then judges where the links lead, as it always did. A
 * context that does not exist, or is a file, is not written (or written as the file): the same check then names it.
 * A context that is a submodule is refused here: git would write an empty directory.
 *
 * @param whole  write the whole tree
 * @param prefix the context directory with a trailing {@code /}: every path under it is selected (null: none)
 * @param files  further single paths selected (the Dockerfile outside the context, its ignore files)
 * @param dirs   paths to create as empty directories (a Dockerfile that is a directory or a submodule, as git would
 *               write it: the runner's check then says it is not a file)
 */
record Selection(boolean whole, String prefix, Set<String> files, List<String> dirs) {
    static final Selection WHOLE = new Selection(true, null, Set.of(), List.of());

    /** Tree entry modes. */
    private static final String TREE = "040000";

    private static final String SYMLINK = "120000";
    private static final String GITLINK = "160000";

    /** Whether the checkout writes {@code path} (an LFS file's content is fetched only then). */
    boolean selects(String path) {
        return whole || (prefix != null && path.startsWith(prefix)) || files.contains(path);
    }

    /** The literal pathspecs for git's checkout (empty when nothing is selected). */
    List<String> pathspecs() {
        List<String> specs = new ArrayList<>();
        if (prefix != null) {
            specs.add(prefix.substring(0, prefix.length() - 1));
        }
        specs.addAll(files);
        return specs;
    }

    /**
     * Looks the scope up in the commit's tree.
     *
     * @throws Git.GitException for a path that is not a plain relative path (checked again here, whatever the
     *     configuration checked) and for a context that is a submodule
     */
    static Selection of(Path gitDir, String commit, SourceCache.Scope scope) {
        List<String> context = components(scope.context(), "build context");
        List<String> dockerfile = components(scope.dockerfile(), "Dockerfile");
        if (context.isEmpty()) {
            return WHOLE;
        }
        Tree tree = new Tree(gitDir, commit);
        String prefix = null;
        Set<String> files = new LinkedHashSet<>();
        List<String> dirs = new ArrayList<>();
        Entry ctx = tree.find(context);
        if (ctx.throughSymlink()) {
            return WHOLE;
        }
        String ctxPath = String.join("/", context);
        if (ctx.mode() != null) {
            switch (ctx.mode()) {
                case TREE -> prefix = ctxPath + "/";
                case GITLINK ->
                    throw new Git.GitException("the build context '" + scope.context()
                            + "' is a submodule at this commit; multiarch does not check out submodules");
                default -> files.add(ctxPath); // a file: the runner's check says it is not a directory
            }
        }
        // Looked up even inside the context: one that is a symlink (a Dockerfile linked to ../../docker/Dockerfile)
        // would lead out of what is written.
        List<List<String>> wanted = new ArrayList<>();
        String dfPath = String.join("/", dockerfile);
        if (!dockerfile.isEmpty()) {
            wanted.add(dockerfile);
            for (String suffix : List.of(".containerignore", ".dockerignore")) {
                List<String> ignore = new ArrayList<>(dockerfile);
                ignore.set(ignore.size() - 1, ignore.get(ignore.size() - 1) + suffix);
                wanted.add(ignore);
            }
        }
        if (prefix != null) {
            for (String name : List.of(".containerignore", ".dockerignore")) {
                List<String> ignore = new ArrayList<>(context);
                ignore.add(name);
                wanted.add(ignore);
            }
        }
        for (List<String> path : wanted) {
            Entry e = tree.find(path);
            if (e.throughSymlink()) {
                return WHOLE;
            }
            String p = String.join("/", path);
            if (e.mode() == null || (prefix != null && p.startsWith(prefix))) {
                continue; // not in the tree, or written with the context
            }
            boolean isDir = e.mode().equals(TREE) || e.mode().equals(GITLINK);
            if (isDir && p.equals(dfPath)) {
                dirs.add(p);
            } else if (!isDir) {
                files.add(p);
            }
        }
        return new Selection(false, prefix, Set.copyOf(files), List.copyOf(dirs));
    }

    /**
     * A configured path's components; empty for the repository's root ({@code .}) and for null.
     *
     * @throws Git.GitException for an absolute path, {@code ..}, {@code .} or empty components inside it, a {@code
     *     .git} component, or a NUL
     */
    static List<String> components(String path, String what) {
        if (path == null || path.equals(".")) {
            return List.of();
        }
        String shown = "'" + path.replaceAll("[\\x00-\\x1f\\x7f]", "?") + "'";
        if (path.isEmpty() || path.startsWith("/") || path.indexOf('\0') >= 0) {
            throw new Git.GitException("the " + what + " " + shown + " must be a path inside the repository");
        }
        List<String> parts = new ArrayList<>();
        for (String part : path.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                throw new Git.GitException("the " + what + " " + shown
                        + " must be a plain path inside the repository (no '..', '.' or empty components)");
            }
            if (part.toLowerCase(Locale.ROOT).equals(".git")) {
                throw new Git.GitException("the " + what + " " + shown + " names a .git directory");
            }
            parts.add(part);
        }
        return parts;
    }

    /** A path's entry: its mode (null: not in the tree), or that the way to it goes through a symlink. */
    private record Entry(String mode, boolean throughSymlink) {}

    /** The commit's trees, read one directory at a time by object id ({@code git ls-tree <tree>}). */
    private static final class Tree {
        private final Path gitDir;
        private final String root;
        private final java.util.Map<String, List<String[]>> listings = new java.util.HashMap<>();

        Tree(Path gitDir, String commit) {
            this.gitDir = gitDir;
            this.root = Git.objectId(commit); // ls-tree lists a commit's tree by the commit's id
        }

        Entry find(List<String> path) {
            String tree = root;
            for (int i = 0; i < path.size(); i++) {
                String[] e = entry(tree, path.get(i));
                if (e == null) {
                    return new Entry(null, false);
                }
                if (e[0].equals(SYMLINK)) {
                    return new Entry(null, true);
                }
                if (i == path.size() - 1) {
                    return new Entry(e[0], false);
                }
                if (!e[0].equals(TREE)) {
                    return new Entry(null, false); // a file or submodule on the way: nothing is under it
                }
                tree = e[1];
            }
            throw new IllegalArgumentException("empty path");
        }

        /** {mode, object id} of {@code name} in the tree {@code tree}, or null. */
        private String[] entry(String tree, String name) {
            List<String[]> list = listings.computeIfAbsent(tree, t -> {
                Git.Out o = Git.ok(
                        gitDir,
                        null,
                        Git.Call.OWN_REPO,
                        "ls-tree",
                        "-z",
                        "--full-tree",
                        "--end-of-options",
                        Git.objectId(t));
                List<String[]> entries = new ArrayList<>();
                for (String rec : o.out().split("\0")) {
                    int tab = rec.indexOf('\t');
                    if (tab < 0) {
                        continue;
                    }
                    String[] f = rec.substring(0, tab).split(" ");
                    if (f.length == 3) {
                        entries.add(new String[] {f[0], f[2], rec.substring(tab + 1)});
                    }
                }
                return entries;
            });
            for (String[] e : list) {
                if (e[2].equals(name)) {
                    return e;
                }
            }
            return null;
        }
    }
}
