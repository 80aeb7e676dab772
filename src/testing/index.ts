/**
 * Test layers that ship with the library, for testing programs that use glanceclient offline.
 *
 * @since 0.1.0
 */

/**
 * An in-memory Glance: every service, over one world several projects can share, plus `Control` for seeding and faults.
 *
 * @since 0.1.0
 * @category modules
 */
export * as GlanceTest from "./GlanceTest.js"
