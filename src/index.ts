/**
 * glanceclient: the OpenStack Image API (Glance) v2 as Effect services.
 *
 * @since 0.1.0
 */

/**
 * The image cache (admin).
 *
 * @since 0.1.0
 * @category modules
 */
export * as Cache from "./Cache.js"
/**
 * Settings: explicit options, `OS_*`, clouds.yaml.
 *
 * @since 0.1.0
 * @category modules
 */
export * as CloudConfig from "./CloudConfig.js"
/**
 * The layer that wires the whole client.
 *
 * @since 0.1.0
 * @category modules
 */
export * as GlanceClient from "./GlanceClient.js"
/**
 * Recognising and decompressing gzip, xz, bzip2 and zstd data.
 *
 * @since 0.1.0
 * @category modules
 */
export * as Decompression from "./Decompression.js"
/**
 * The typed errors of the Image API.
 *
 * @since 0.1.0
 * @category modules
 */
export * as GlanceError from "./GlanceError.js"
/**
 * The configured HTTP core.
 *
 * @since 0.1.0
 * @category modules
 */
export * as GlanceHttp from "./GlanceHttp.js"
/**
 * Streaming hashes that verify image data (portable default; `glanceclient/node` has node:crypto's).
 *
 * @since 0.1.0
 * @category modules
 */
export * as Hasher from "./Hasher.js"
/**
 * Requests that carry image data, on the transport: the request core plus the data path's rules.
 *
 * @since 0.1.0
 * @category modules
 */
export * as ImageData from "./ImageData.js"
/**
 * Endpoint discovery.
 *
 * @since 0.1.0
 * @category modules
 */
export * as ImageEndpoint from "./ImageEndpoint.js"
/**
 * Disk format, virtual size, compression and safety of image data, from its headers.
 *
 * @since 0.1.0
 * @category modules
 */
export * as ImageInspector from "./ImageInspector.js"
/**
 * Images and their data.
 *
 * @since 0.1.0
 * @category modules
 */
export * as Images from "./Images.js"
/**
 * The transport of image data (portable default; `glanceclient/node` has a faster one).
 *
 * @since 0.1.0
 * @category modules
 */
export * as ImageTransport from "./ImageTransport.js"
/**
 * Import methods, stores and quota usage the cloud offers.
 *
 * @since 0.1.0
 * @category modules
 */
export * as Info from "./Info.js"
/**
 * Identity (Keystone) login and tokens.
 *
 * @since 0.1.0
 * @category modules
 */
export * as Keystone from "./Keystone.js"
/**
 * The projects an image is shared with.
 *
 * @since 0.1.0
 * @category modules
 */
export * as Members from "./Members.js"
/**
 * Metadata definitions: namespaces, objects, properties, tags, resource types.
 *
 * @since 0.1.0
 * @category modules
 */
export * as Metadefs from "./Metadefs.js"
/**
 * The JSON schemas the cloud publishes, and checking image fields against them.
 *
 * @since 0.1.0
 * @category modules
 */
export * as Schemas from "./Schemas.js"
/**
 * Asynchronous tasks.
 *
 * @since 0.1.0
 * @category modules
 */
export * as Tasks from "./Tasks.js"
/**
 * Keystone tokens kept between programs (`glanceclient/node` has the file-based one).
 *
 * @since 0.1.0
 * @category modules
 */
export * as TokenCache from "./TokenCache.js"
/**
 * Moving images between clouds, regions and projects, verified; uploads idempotent by content.
 *
 * @since 0.1.0
 * @category modules
 */
export * as Transfer from "./Transfer.js"
