/**
 * Test layers that ship with the library, for testing programs that use glanceclient offline.
 *
 * @since 0.1.0
 */

/** An in-memory Glance: `Images` plus `Control` for seeding and faults. */
export * as GlanceTest from "./GlanceTest.js"
