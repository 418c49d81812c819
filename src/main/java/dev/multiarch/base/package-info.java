/**
 * The things every stage shares and must not write twice: the JSON configuration ({@link dev.multiarch.base.Json}),
 * the retry delay ({@link dev.multiarch.base.Backoff}) and the environment of the programs we start
 * ({@link dev.multiarch.base.ChildEnvironment}: empty plus an allow-list, so that no secret of ours reaches git,
 * buildah or a Dockerfile's {@code RUN} step). Nothing else belongs here: a value with a meaning in the data flow (a
 * platform, a digest, a build) lives in the stage that owns it. This package imports nothing of ours.
 */
package dev.multiarch.base;
