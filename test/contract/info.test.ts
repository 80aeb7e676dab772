/** The Info contract against the in-memory twin and the lab. */
import { infoSuite } from "./suites/info.js"
import { contract } from "./support.js"

contract("Info", infoSuite)
