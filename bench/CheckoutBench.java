import dev.multiarch.source.CloneUrl;
import dev.multiarch.source.SourceCache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A job's checkout of a monorepo, the whole tree against its build context only, in the same run: median checkout time
 * and bytes written into the job's directory (the files' sizes), warm (the commit and its LFS objects in the source
 * cache already: what every job after the first pays) and cold (a new source cache: the Git LFS objects fetched too;
 * the local source's git objects are borrowed, so no git fetch is timed).
 *
 * Run by bench/checkout-bench; arguments: REPO (a bare repository) COMMIT CONTEXT DOCKERFILE WORKDIR WARM_RUNS COLD_RUNS
 */
public class CheckoutBench {
    record Run(double seconds, long bytes, long files, long lfsBytes) {}

    public static void main(String[] args) throws IOException {
        CloneUrl url = CloneUrl.parse(args[0], true);
        String commit = args[1];
        SourceCache.Scope whole = SourceCache.Scope.whole();
        SourceCache.Scope context = new SourceCache.Scope(args[2], args[3]);
        Path work = Path.of(args[4]);
        int warmRuns = Integer.parseInt(args[5]);
        int coldRuns = Integer.parseInt(args[6]);

        SourceCache warm = new SourceCache(work.resolve("warm-cache"));
        // Brings the commit and every LFS object into the warm cache; not timed.
        warm.checkout(url, commit, work.resolve("prime/src"), null, null, whole);
        delete(work.resolve("prime"));
        List<Run> warmWhole = new ArrayList<>();
        List<Run> warmContext = new ArrayList<>();
        for (int i = 0; i < warmRuns; i++) {
            // Interleaved, so that both see the same machine.
            warmWhole.add(run(warm, url, commit, whole, work.resolve("job"), null));
            warmContext.add(run(warm, url, commit, context, work.resolve("job"), null));
        }
        List<Run> coldWhole = new ArrayList<>();
        List<Run> coldContext = new ArrayList<>();
        for (int i = 0; i < coldRuns; i++) {
            coldWhole.add(run(null, url, commit, whole, work.resolve("job"), work.resolve("cold-cache")));
            coldContext.add(run(null, url, commit, context, work.resolve("job"), work.resolve("cold-cache")));
        }
        report("warm", warmWhole, warmContext);
        report("cold", coldWhole, coldContext);
    }

    private static Run run(SourceCache cache, CloneUrl url, String commit, SourceCache.Scope scope, Path job, Path cold)
            throws IOException {
        if (cold != null) {
            delete(cold);
            cache = new SourceCache(cold);
        }
        delete(job);
        Path src = job.resolve("src");
        Files.createDirectories(job);
        long t0 = System.nanoTime();
        cache.checkout(url, commit, src, null, null, scope);
        double s = (System.nanoTime() - t0) / 1e9;
        long[] sizes = sizes(src);
        long lfs = cold == null ? 0 : sizes(cold)[0];
        return new Run(s, sizes[0], sizes[1], lfs);
    }

    /** {bytes of regular files, number of files and symlinks} under {@code dir}. */
    private static long[] sizes(Path dir) throws IOException {
        long[] out = new long[2];
        if (!Files.exists(dir)) {
            return out;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.toList()) {
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    out[0] += Files.size(p);
                    out[1]++;
                } else if (Files.isSymbolicLink(p)) {
                    out[1]++;
                }
            }
        }
        return out;
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static void report(String what, List<Run> whole, List<Run> context) {
        if (whole.isEmpty()) {
            return;
        }
        double tw = median(whole.stream().map(Run::seconds).toList());
        double tc = median(context.stream().map(Run::seconds).toList());
        Run w = whole.get(0);
        Run c = context.get(0);
        System.out.printf(
                "%s (%d runs each): whole tree median %.3f s, %d files, %.1f MiB written; context only median %.3f s,"
                        + " %d files, %.1f MiB written; time ratio %.1fx, bytes ratio %.1fx%n",
                what,
                whole.size(),
                tw,
                w.files(),
                w.bytes() / 1048576.0,
                tc,
                c.files(),
                c.bytes() / 1048576.0,
                tw / tc,
                (double) w.bytes() / c.bytes());
        System.out.printf(
                "%s   all runs, s: whole %s; context %s%n",
                what,
                whole.stream().map(r -> String.format("%.3f", r.seconds())).toList(),
                context.stream().map(r -> String.format("%.3f", r.seconds())).toList());
        if (w.lfsBytes() > 0) {
            System.out.printf(
                    "%s   source cache after the job (mirror + LFS objects fetched): whole %.1f MiB, context %.1f MiB%n",
                    what, w.lfsBytes() / 1048576.0, c.lfsBytes() / 1048576.0);
        }
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Collections.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
