/**
 * The coordinator's HTTP face, on Vert.x: the runner API (register, long-poll, heartbeat, log, complete), the build
 * trigger API, and the build pages ({@code /builds/{id}}) that status checks link to. Every handler that touches the
 * store, git or a registry runs on the named worker pool {@code multiarch-work}; the event loop only parses, routes
 * and writes. Every failure path ends the response with a status and a one-line message.
 */
package dev.multiarch.web;
