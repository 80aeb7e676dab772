/**
 * glanceclient: the OpenStack Image API (Glance) v2 as Effect services.
 *
 * @since 0.1.0
 */

/** The image cache (admin). */
export * as Cache from "./Cache.js"
/** Settings: explicit options, `OS_*`, clouds.yaml. */
export * as CloudConfig from "./CloudConfig.js"
/** The layer that wires the whole client. */
export * as GlanceClient from "./GlanceClient.js"
/** Recognising and decompressing gzip, xz, bzip2 and zstd data. */
export * as Decompression from "./Decompression.js"
/** The typed errors of the Image API. */
export * as GlanceError from "./GlanceError.js"
/** The configured HTTP core. */
export * as GlanceHttp from "./GlanceHttp.js"
/** Streaming hashes that verify image data (portable default; `glanceclient/node` has node:crypto's). */
export * as Hasher from "./Hasher.js"
/** Requests that carry image data, on the transport: the request core plus the data path's rules. */
export * as ImageData from "./ImageData.js"
/** Endpoint discovery. */
export * as ImageEndpoint from "./ImageEndpoint.js"
/** Disk format, virtual size, compression and safety of image data, from its headers. */
export * as ImageInspector from "./ImageInspector.js"
/** Images and their data. */
export * as Images from "./Images.js"
/** The transport of image data (portable default; `glanceclient/node` has a faster one). */
export * as ImageTransport from "./ImageTransport.js"
/** Import methods, stores and quota usage the cloud offers. */
export * as Info from "./Info.js"
/** Identity (Keystone) login and tokens. */
export * as Keystone from "./Keystone.js"
/** The projects an image is shared with. */
export * as Members from "./Members.js"
/** Metadata definitions: namespaces, objects, properties, tags, resource types. */
export * as Metadefs from "./Metadefs.js"
/** The JSON schemas the cloud publishes, and checking image fields against them. */
export * as Schemas from "./Schemas.js"
/** Asynchronous tasks. */
export * as Tasks from "./Tasks.js"
/** Keystone tokens kept between programs (`glanceclient/node` has the file-based one). */
export * as TokenCache from "./TokenCache.js"
/** Moving images between clouds, regions and projects, verified; uploads idempotent by content. */
export * as Transfer from "./Transfer.js"
