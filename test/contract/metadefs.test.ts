/** The Metadefs contract against the in-memory twin and the lab. */
import { metadefsSuite } from "./suites/metadefs.js"
import { contract } from "./support.js"

contract("Metadefs", metadefsSuite)
