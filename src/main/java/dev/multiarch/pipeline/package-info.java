/**
 * Where a trigger becomes builds, and where builds move through their states.
 *
 * <p>{@link dev.multiarch.pipeline.Planner} reads a repository's {@code .multiarch.yaml} at the commit being built and
 * turns a trigger (a tag push, a local {@code multiarch build}) into one build per image, each with one job per
 * platform; an invalid file becomes a failed build that names file, line and reason.
 * {@link dev.multiarch.pipeline.Coordinator} drives the rest: it hands jobs to runners through the dispatcher, takes
 * their results (with the runner's step times, {@link dev.multiarch.pipeline.StepTimes}), verifies each platform's image
 * as soon as its job reports ({@link dev.multiarch.pipeline.Verifications}), fans in when every platform has a verified
 * digest, publishes exactly once, resumes all of that after a restart, and tells listeners (the build page, the
 * terminal, GitHub) about every change.
 */
package dev.multiarch.pipeline;
