package dev.multiarch.github;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;
import org.kohsuke.github.GHCheckRun;
import org.kohsuke.github.GHCommitState;

/**
 * The state a check should show, in both of GitHub's vocabularies: a commit status's {@code state} ("Create a commit
 * status": pending, success, failure, error) and a check run's {@code status} plus {@code conclusion} ("Create a check
 * run": a conclusion goes with, and only with, {@code completed}). The outbox keeps it by the commit-status word, the
 * word rows written before this enum existed carry.
 */
enum CheckState {
    @JsonProperty("pending")
    PENDING(GHCommitState.PENDING, null),
    @JsonProperty("success")
    SUCCESS(GHCommitState.SUCCESS, GHCheckRun.Conclusion.SUCCESS),
    @JsonProperty("failure")
    FAILURE(GHCommitState.FAILURE, GHCheckRun.Conclusion.FAILURE),
    /** A cancelled build: commit statuses have no "cancelled", so "error"; check runs say what happened. */
    @JsonProperty("error")
    ERROR(GHCommitState.ERROR, GHCheckRun.Conclusion.CANCELLED);

    private final GHCommitState commitState;
    private final GHCheckRun.Conclusion conclusion;

    CheckState(GHCommitState commitState, GHCheckRun.Conclusion conclusion) {
        this.commitState = commitState;
        this.conclusion = conclusion;
    }

    GHCommitState commitState() {
        return commitState;
    }

    GHCheckRun.Status checkRunStatus() {
        return conclusion == null ? GHCheckRun.Status.IN_PROGRESS : GHCheckRun.Status.COMPLETED;
    }

    /** A check run's conclusion; empty while the check is in progress. */
    Optional<GHCheckRun.Conclusion> conclusion() {
        return Optional.ofNullable(conclusion);
    }
}
