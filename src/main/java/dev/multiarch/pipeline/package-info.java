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
 *
 * <p>An image published to several registries ({@code image: [A, B, …]}) is built and pushed once, to A;
 * {@link dev.multiarch.pipeline.BuildPublisher} publishes there, then {@code MirrorCopies} copies the same index to
 * each of the others, recording each registry's outcome in the store. A registry that fails leaves the build failed
 * ("published to A; B failed: …") with the others published; {@link dev.multiarch.pipeline.Coordinator#republish}
 * (a re-run) publishes only where the index is missing.
 */
package dev.multiarch.pipeline;
