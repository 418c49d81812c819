/**
 * The {@code multiarch} command line: {@code push from-spec}, {@code push from-args} and {@code inspect} (the
 * manifest-tool–compatible part). {@link dev.multiarch.cli.Main} picks a {@link dev.multiarch.cli.Command} by its
 * leading words and parses its options with commons-cli. Every failure is one line on stderr and a non-zero exit: 1
 * for a failed operation, 2 for bad input.
 */
package dev.multiarch.cli;
