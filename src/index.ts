/**
 * glanceclient: the OpenStack Image API (Glance) v2 as Effect services.
 *
 * @since 0.1.0
 */

/** Settings: explicit options, `OS_*`, clouds.yaml. */
export * as CloudConfig from "./CloudConfig.js"
/** The layer that wires the whole client. */
export * as GlanceClient from "./GlanceClient.js"
/** The typed errors of the Image API. */
export * as GlanceError from "./GlanceError.js"
/** The configured HTTP core. */
export * as GlanceHttp from "./GlanceHttp.js"
/** Endpoint discovery. */
export * as ImageEndpoint from "./ImageEndpoint.js"
/** Images and their data. */
export * as Images from "./Images.js"
/** Identity (Keystone) login and tokens. */
export * as Keystone from "./Keystone.js"
