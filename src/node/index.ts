/**
 * `glanceclient/node`: what the `glance` command runs on, for library users on Node.js who move
 * large images. `NodeGlanceHttp.layer()` provides all of it; each part is a layer of its own too.
 *
 * @since 0.1.0
 */

/**
 * node:http for every request (streamed bodies both ways), plus the two layers below: `layer()`.
 *
 * @since 0.1.0
 * @category modules
 */
export * as NodeGlanceHttp from "./httpClient.js"
/**
 * The `Decompression` service on Node.js: gzip, xz, bzip2 and zstd.
 *
 * @since 0.1.0
 * @category modules
 */
export * as NodeDecompression from "./decompression.js"
/**
 * node:crypto's hashes for verifying image data.
 *
 * @since 0.1.0
 * @category modules
 */
export * as NodeHasher from "./hasher.js"
/**
 * Image data read from the socket straight into blocks; uploads written as the socket takes them.
 *
 * @since 0.1.0
 * @category modules
 */
export * as NodeImageTransport from "./imageTransport.js"
/**
 * The token cache in mode-600 files under the user's cache directory.
 *
 * @since 0.1.0
 * @category modules
 */
export * as NodeTokenCache from "./tokenCache.js"
