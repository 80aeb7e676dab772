/** The Schemas contract against the in-memory twin and the lab. */
import { schemasSuite } from "./suites/schemas.js"
import { contract } from "./support.js"

contract("Schemas", schemasSuite)
