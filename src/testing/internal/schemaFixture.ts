/**
 * The item schemas of the lab's Glance (Zed), as `GET /v2/schemas/{name}` serves them, with the
 * descriptions, links and `definitions` left out. The list schemas are built from these.
 */
import type { JsonSchema } from "../../Schemas.js"

/** The item schemas, by name. */
export const itemSchemas: Readonly<Record<string, JsonSchema>> = {
  "image": {
    "name": "image",
    "properties": {
      "id": {
        "type": "string",
        "pattern": "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"
      },
      "name": { "type": ["null", "string"], "maxLength": 255 },
      "status": {
        "type": "string",
        "readOnly": true,
        "enum": [
          "queued",
          "saving",
          "active",
          "killed",
          "deleted",
          "uploading",
          "importing",
          "pending_delete",
          "deactivated"
        ]
      },
      "visibility": { "type": "string", "enum": ["community", "public", "private", "shared"] },
      "protected": { "type": "boolean" },
      "os_hidden": { "type": "boolean" },
      "checksum": { "type": ["null", "string"], "readOnly": true, "maxLength": 32 },
      "os_hash_algo": { "type": ["null", "string"], "readOnly": true, "maxLength": 64 },
      "os_hash_value": { "type": ["null", "string"], "readOnly": true, "maxLength": 128 },
      "owner": { "type": ["null", "string"], "maxLength": 255 },
      "size": { "type": ["null", "integer"], "readOnly": true },
      "virtual_size": { "type": ["null", "integer"], "readOnly": true },
      "container_format": {
        "type": ["null", "string"],
        "enum": [null, "ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"]
      },
      "disk_format": {
        "type": ["null", "string"],
        "enum": [null, "ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop"]
      },
      "created_at": { "type": "string", "readOnly": true },
      "updated_at": { "type": "string", "readOnly": true },
      "tags": { "type": "array", "items": { "type": "string", "maxLength": 255 } },
      "direct_url": { "type": "string", "readOnly": true },
      "min_ram": { "type": "integer" },
      "min_disk": { "type": "integer" },
      "self": { "type": "string", "readOnly": true },
      "file": { "type": "string", "readOnly": true },
      "stores": { "type": "string", "readOnly": true },
      "schema": { "type": "string", "readOnly": true },
      "locations": { "type": "array", "items": { "type": "object" } },
      "kernel_id": {
        "type": ["null", "string"],
        "pattern": "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"
      },
      "ramdisk_id": {
        "type": ["null", "string"],
        "pattern": "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"
      },
      "instance_uuid": { "type": "string" },
      "architecture": { "type": "string" },
      "os_distro": { "type": "string" },
      "os_version": { "type": "string" },
      "description": { "type": "string" },
      "cinder_encryption_key_id": { "type": "string" },
      "cinder_encryption_key_deletion_policy": { "type": "string", "enum": ["on_image_deletion", "do_not_delete"] }
    },
    "additionalProperties": { "type": "string" }
  },
  "member": {
    "name": "member",
    "properties": {
      "member_id": { "type": "string" },
      "image_id": {
        "type": "string",
        "pattern": "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"
      },
      "created_at": { "type": "string" },
      "updated_at": { "type": "string" },
      "status": { "type": "string", "enum": ["pending", "accepted", "rejected"] },
      "schema": { "readOnly": true, "type": "string" }
    }
  },
  "task": {
    "name": "task",
    "properties": {
      "id": {
        "pattern": "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$",
        "type": "string"
      },
      "type": { "enum": ["import", "api_image_import"], "type": "string" },
      "status": { "enum": ["pending", "processing", "success", "failure"], "type": "string" },
      "input": { "type": ["null", "object"] },
      "result": { "type": ["null", "object"] },
      "owner": { "type": "string" },
      "message": { "type": "string" },
      "image_id": { "type": "string" },
      "request_id": { "type": "string" },
      "user_id": { "type": "string" },
      "expires_at": { "type": ["null", "string"] },
      "created_at": { "type": "string" },
      "updated_at": { "type": "string" },
      "self": { "readOnly": true, "type": "string" },
      "schema": { "readOnly": true, "type": "string" }
    }
  },
  "metadefs/namespace": {
    "name": "namespace",
    "properties": {
      "namespace": { "type": "string", "maxLength": 80 },
      "display_name": { "type": "string", "maxLength": 80 },
      "description": { "type": "string", "maxLength": 500 },
      "visibility": { "type": "string", "enum": ["public", "private"] },
      "protected": { "type": "boolean" },
      "owner": { "type": "string", "maxLength": 255 },
      "created_at": { "type": "string", "readOnly": true, "format": "date-time" },
      "updated_at": { "type": "string", "readOnly": true, "format": "date-time" },
      "schema": { "readOnly": true, "type": "string" },
      "self": { "readOnly": true, "type": "string" },
      "resource_type_associations": { "type": "array", "items": { "type": "object" } },
      "properties": { "type": "object" },
      "objects": { "type": "array", "items": { "type": "object" } },
      "tags": { "type": "array", "items": { "type": "object" } }
    },
    "additionalProperties": false,
    "required": ["namespace"]
  },
  "metadefs/object": {
    "name": "object",
    "properties": {
      "name": { "type": "string", "maxLength": 80 },
      "description": { "type": "string" },
      "required": { "type": "object" },
      "properties": { "type": "object" },
      "schema": { "readOnly": true, "type": "string" },
      "self": { "readOnly": true, "type": "string" },
      "created_at": { "type": "string", "readOnly": true, "format": "date-time" },
      "updated_at": { "type": "string", "readOnly": true, "format": "date-time" }
    },
    "additionalProperties": false,
    "required": ["name"]
  },
  "metadefs/property": {
    "name": "property",
    "properties": {
      "name": { "type": "string", "maxLength": 80 },
      "title": { "type": "string" },
      "description": { "type": "string" },
      "operators": { "type": "array", "items": { "type": "string" } },
      "type": { "type": "string", "enum": ["array", "boolean", "integer", "number", "object", "string", null] },
      "required": { "type": "object" },
      "minimum": { "type": "number" },
      "maximum": { "type": "number" },
      "maxLength": { "type": "object" },
      "minLength": { "type": "object" },
      "pattern": { "type": "string", "format": "regex" },
      "enum": { "type": "array" },
      "readonly": { "type": "boolean" },
      "default": {},
      "items": {
        "type": "object",
        "properties": {
          "type": { "type": "string", "enum": ["array", "boolean", "integer", "number", "object", "string", null] },
          "enum": { "type": "array" }
        }
      },
      "maxItems": { "type": "object" },
      "minItems": { "type": "object" },
      "uniqueItems": { "type": "boolean", "default": false },
      "additionalItems": { "type": "boolean" }
    },
    "additionalProperties": false,
    "required": ["type", "title", "name"]
  },
  "metadefs/resource_type": {
    "name": "resource_type_association",
    "properties": {
      "name": { "type": "string", "maxLength": 80 },
      "prefix": { "type": "string", "maxLength": 80 },
      "properties_target": { "type": "string", "maxLength": 80 },
      "created_at": { "type": "string", "readOnly": true, "format": "date-time" },
      "updated_at": { "type": "string", "readOnly": true, "format": "date-time" }
    },
    "additionalProperties": false,
    "required": ["name"]
  },
  "metadefs/tag": {
    "name": "tag",
    "properties": {
      "name": { "type": "string", "maxLength": 80 },
      "created_at": { "type": "string", "readOnly": true, "format": "date-time" },
      "updated_at": { "type": "string", "readOnly": true, "format": "date-time" }
    },
    "additionalProperties": false,
    "required": ["name"]
  }
}
