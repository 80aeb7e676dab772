/** The Members contract against the in-memory twin and the lab. */
import { membersSuite } from "./suites/members.js"
import { contract } from "./support.js"

contract("Members", membersSuite)
