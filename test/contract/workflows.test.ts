/** The Images workflows (module functions over `Images`) against the in-memory twin and the lab. */
import { workflowsSuite } from "./suites/workflows.js"
import { contract } from "./support.js"

contract("Images workflows", workflowsSuite)
