/**
 * Files people write: manifest-tool's push spec ({@link dev.multiarch.config.PushSpec}) today, the service's
 * {@code config.yaml} and the repository's {@code .multiarch.yaml} next. Every error names the file, the line and
 * the field ({@code spec.yaml:7: manifests[1].platform.architecture: …}), so that a person can fix it without
 * reading code. Parsing goes through {@link dev.multiarch.config.LocatedYaml}, which keeps each value's line.
 */
package dev.multiarch.config;
