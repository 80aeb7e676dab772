/**
 * `glanceclient/node`: the HTTP client the `glance` command runs on, for library users on
 * Node.js who move large images. Request bodies stream with backpressure (a 1 GiB upload
 * holds a few MiB), and image data is read straight from the socket into 1 MiB blocks.
 *
 * @since 0.1.0
 */
export * as NodeGlanceHttp from "./httpClient.js"
/** The `Decompression` service on Node.js: gzip, xz, bzip2 and zstd. */
export * as NodeDecompression from "./decompression.js"
