/** The Tasks contract against the in-memory twin and the lab. */
import { tasksSuite } from "./suites/tasks.js"
import { contract } from "./support.js"

contract("Tasks", tasksSuite)
