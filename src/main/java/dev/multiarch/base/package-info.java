/**
 * The two things every stage shares and must not write twice: the JSON configuration ({@link dev.multiarch.base.Json})
 * and the retry delay ({@link dev.multiarch.base.Backoff}). Nothing else belongs here: a value with a meaning in the
 * data flow (a platform, a digest, a build) lives in the stage that owns it. This package imports nothing of ours.
 */
package dev.multiarch.base;
