import dev.multiarch.registry.ImageReference;
import dev.multiarch.registry.Manifest;
import dev.multiarch.registry.RegistryClient;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;

/**
 * Copies one image (a large layer) from one registry to another as a mirror copy does
 * ({@link RegistryClient#copyManifest}: blobs, chunked and resumable from 64 MiB, then the manifest by digest), and
 * prints the time, the throughput and the peak heap of the JVM (the sum of each heap pool's peak: an upper bound,
 * since the pools peak at different moments).
 *
 * Run by bench/mirror-copy-bench; arguments: SOURCE (registry/repo:tag) TARGET (registry/repo)
 */
public class MirrorCopyBench {
    public static void main(String[] args) {
        ImageReference from = ImageReference.parse(args[0]);
        ImageReference to = ImageReference.parse(args[1]);
        ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
        try (RegistryClient client = RegistryClient.builder().create()) {
            Manifest m = client.getManifest(from);
            long bytes = m.layers().stream().mapToLong(l -> l.size()).sum();
            long t0 = System.nanoTime();
            client.copyManifest(from, to, m);
            double s = (System.nanoTime() - t0) / 1e9;
            long peak = 0;
            for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
                if (p.getType() == MemoryType.HEAP) {
                    peak += p.getPeakUsage().getUsed();
                    System.out.printf(
                            "  heap pool %-20s peak %6.1f MiB%n",
                            p.getName(), p.getPeakUsage().getUsed() / 1048576.0);
                }
            }
            System.out.printf(
                    "copied %.0f MiB in %.1f s (%.0f MiB/s); max heap %d MiB; peak heap (sum of pool peaks) %.1f MiB%n",
                    bytes / 1048576.0,
                    s,
                    bytes / 1048576.0 / s,
                    Runtime.getRuntime().maxMemory() / 1048576,
                    peak / 1048576.0);
            if (client.head(to.withDigest(m.digest())).isEmpty()) {
                throw new IllegalStateException("the copy is not in " + to);
            }
        }
    }
}
