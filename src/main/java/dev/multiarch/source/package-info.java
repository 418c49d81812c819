/**
 * Where source code comes from: git, at an exact commit. The coordinator reads {@code .multiarch.yaml} through it
 * (into a cache of bare repositories, fetching only the commit asked for); runners check the commit out into their
 * work directory. A clone URL may be anything git fetches from: a path, {@code file://}, {@code https://}.
 */
package dev.multiarch.source;
