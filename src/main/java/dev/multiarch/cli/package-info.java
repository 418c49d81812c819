/**
 * The {@code multiarch} command line: {@code push from-spec}, {@code push from-args} and {@code inspect} (the
 * manifest-tool–compatible part). Every failure is one line on stderr and a non-zero exit: 1 for a failed
 * operation, 2 for a usage error.
 */
package dev.multiarch.cli;
