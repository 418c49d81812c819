/**
 * Prometheus metrics for the coordinator: one Micrometer registry ({@link dev.multiarch.metrics.Metrics}) made when
 * the coordinator is wired, handed to the stages that count, and read at {@code GET /metrics}.
 *
 * <p>What it holds, by where the number comes from:
 *
 * <ul>
 *   <li>the store, read when scraped and at most every five seconds, so several coordinators on one PostgreSQL
 *       database report the same numbers: {@code multiarch_builds{state}}, {@code multiarch_jobs_queued{platform}},
 *       {@code multiarch_runners_connected}, {@code multiarch_runners_busy};
 *   <li>this process, counted where it happens: job durations ({@code multiarch_job_duration_seconds{platform,
 *       emulation, outcome}}) and the step times runners report with each result ({@code multiarch_job_step_seconds}),
 *       webhook deliveries and acknowledgement latency, GitHub API calls and rate limits, registry errors by code;
 *       Vert.x's HTTP server ({@code vertx_http_server_*}) and the JVM ({@code jvm_*}).
 * </ul>
 *
 * <p>Runners export nothing of their own: they connect out (often from behind NAT, where nothing can scrape them), and
 * what an operator wants from them, how long each step of each platform took and whether it ran natively, already
 * reaches the coordinator with every result.
 *
 * <p>Labels come from small closed sets ({@link dev.multiarch.metrics.Labels}): no repository, ref, tag, request path
 * or error message is ever a label, so whoever may scrape learns nothing about private repositories, and a webhook or
 * {@code .multiarch.yaml} cannot add series. The {@code registry}, {@code store} and {@code platform} packages know
 * nothing of this one: the registry client takes a {@code FailureListener}, the store answers a {@code Census}.
 */
package dev.multiarch.metrics;
