package dev.multiarch.registry;

/**
 * An open blob upload (distribution-spec "Pushing blobs"): where to send the bytes, and the smallest chunk the
 * registry takes when it said so ({@code OCI-Chunk-Min-Length}; 0 when it did not).
 *
 * @param location absolute URL, resolved against the request that opened the session
 */
record UploadSession(String location, long minChunkLength) {}
