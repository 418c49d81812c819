/**
 * Who may build, and where each may publish: the tenancy rules of {@code config.yaml}'s {@code repositories:} section
 * and the registry credentials that go with them.
 *
 * <p>Every repository of a GitHub App installation is a tenant. {@link dev.multiarch.access.AccessPolicy} decides, per
 * build, whether the repository may build at all and whether it may publish to the image its {@code
 * .multiarch.yaml} names: an image is data written by the repository's maintainers, so without this check repository A
 * could name team B's image and move B's {@code latest}. The planner asks before any job is dispatched.
 *
 * <p>{@link dev.multiarch.access.Registries} hands out registry credentials per tenant: a {@code registries:} entry
 * with a {@code name:} serves only the repositories whose rule names it; an entry without a name serves its host for
 * every repository allowed to publish there. The Docker config of the user running the coordinator is consulted only
 * for a person's own {@code multiarch build} ({@link dev.multiarch.config.ServiceConfig#personal()}), never for builds
 * of other people's repositories.
 */
package dev.multiarch.access;
