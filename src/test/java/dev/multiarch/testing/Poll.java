package dev.multiarch.testing;

import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Waiting for a condition in a test: polled every 20 ms until it holds, failing after 30 s with what was awaited. */
public final class Poll {
    private Poll() {}

    public static void until(Supplier<Boolean> done, Object what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!done.get()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 30 s: " + what);
            }
            Thread.sleep(20);
        }
    }
}
