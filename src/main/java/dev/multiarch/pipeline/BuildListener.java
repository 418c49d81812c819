package dev.multiarch.pipeline;

import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.JobRecord;
import java.util.List;

/**
 * Told about every change of a build or one of its jobs, with the whole current picture. Called on a worker thread;
 * must not block for long (queue real work).
 */
@FunctionalInterface
public interface BuildListener {
    void changed(BuildRecord build, List<JobRecord> jobs);
}
