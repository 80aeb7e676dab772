/** The Images contract against the in-memory twin and the lab. */
import { imagesSuite } from "./suites/images.js"
import { contract } from "./support.js"

contract("Images", imagesSuite)
