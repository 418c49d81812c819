package dev.multiarch.runner;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * How many builds a runner runs at once ({@code jobs}). A job slot takes a permit before it polls for a job and the
 * job hands it back as soon as its build command has ended, not when the job ends: exporting, auditing and pushing
 * the image (a few hundred milliseconds of light work, a fifth of a cached rebuild's job) then overlap the next
 * job's checkout and build. The runner has twice as many slots as permits, so a slot is free to take the permit.
 */
final class BuildPermits {
    private final Semaphore permits;

    BuildPermits(int builds) {
        this.permits = new Semaphore(builds);
    }

    /** A permit, or null when none came free within {@code wait}. */
    Permit take(Duration wait) throws InterruptedException {
        return permits.tryAcquire(wait.toMillis(), TimeUnit.MILLISECONDS) ? new Permit() : null;
    }

    /** One permit; running it gives the permit back, the first time only. */
    final class Permit implements Runnable {
        private final AtomicBoolean held = new AtomicBoolean(true);

        private Permit() {}

        @Override
        public void run() {
            if (held.compareAndSet(true, false)) {
                permits.release();
            }
        }
    }
}
