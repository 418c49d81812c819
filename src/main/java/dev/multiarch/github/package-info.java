/**
 * Where GitHub meets the pipeline: webhooks become builds, build changes become status checks.
 *
 * <ul>
 *   <li>{@link dev.multiarch.github.WebhookSignature} checks {@code X-Hub-Signature-256} (HMAC-SHA256 of the raw body,
 *       compared in constant time, any of several secrets so one can be rotated).</li>
 *   <li>A delivery is stored, keyed by (hook id, {@code X-GitHub-Delivery}), before it is acknowledged; a redelivery is
 *       acknowledged and not processed again; deliveries still unprocessed at a restart are processed then.</li>
 *   <li>{@link dev.multiarch.github.EventRouter} turns events into triggers as the workflows ({@code workflows/})
 *       say: tag pushes build and publish, pull requests build without publishing (a fork's jobs never get
 *       credentials, and its {@code .multiarch.yaml} is read from the base branch), closing a pull request or pushing to
 *       it again cancels what still runs, re-run requests build the commit again.</li>
 *   <li>{@link dev.multiarch.github.GitHubAccess} talks to the API with github-api: as a GitHub App (a JWT signed with
 *       the app's PKCS#1 key, installation tokens cached until shortly before they expire) or with a token.</li>
 *   <li>{@link dev.multiarch.github.StatusReporter} keeps an outbox of the latest state of every check ({@code
 *       multiarch} and {@code multiarch / <platform>}) and sends it as check runs (App) or commit statuses (token),
 *       retrying errors and rate limits ({@code Retry-After}, {@code X-RateLimit-Reset}) without holding builds up.
 *       A row is one {@link dev.multiarch.github.CheckReport}, its state a {@link dev.multiarch.github.CheckState}
 *       that knows both GitHub vocabularies; a row that cannot be read is logged and not tried again.</li>
 * </ul>
 */
package dev.multiarch.github;
