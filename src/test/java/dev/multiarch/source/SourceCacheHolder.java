package dev.multiarch.source;

import java.nio.file.Path;

/** Another process using a runner's source cache (SourceCacheTest): says which directory it got, holds it until stdin ends. */
public final class SourceCacheHolder {
    private SourceCacheHolder() {}

    public static void main(String[] args) throws Exception {
        SourceCache cache = SourceCache.forProcess(Path.of(args[0]));
        System.out.println("using " + cache.root());
        System.out.flush();
        while (System.in.read() >= 0) {
            // held until the test closes our stdin or kills us
        }
    }
}
