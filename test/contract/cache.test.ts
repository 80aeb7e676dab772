/** The Cache contract against the in-memory twin and the lab. */
import { cacheSuite } from "./suites/cache.js"
import { contract } from "./support.js"

contract("Cache", cacheSuite)
