/* A small JSON Schema validator (a subset of 2020-12) on top of jansson.
 *
 * It exists so faultbench can check result files against results/schema.json
 * and reject malformed ones, whoever wrote them. Only what the result schema
 * needs is implemented:
 *
 *   type (string or array), properties, required, additionalProperties
 *   (boolean or schema), items (a single schema), minItems, maxItems,
 *   minLength, maxLength (in code points), enum, const, minimum, maximum,
 *   exclusiveMinimum, exclusiveMaximum, $ref ("#", "#/$defs/Name" or
 *   "#/definitions/Name" only), allOf, anyOf, oneOf, and the boolean schemas
 *   true and false.
 *
 * Numbers compare by value: 1 and 1.0 are equal for enum and const, and
 * "integer" accepts a real with no fractional part, as the spec says.
 *
 * Annotations and keywords this code does not know ("title", "description",
 * "unit", "format", ...) are ignored. Assertion keywords it knows but does not
 * implement ("pattern", "not", "uniqueItems", ...) make the schema invalid
 * rather than silently accepting what the author meant to reject.
 *
 * The whole schema is checked before the document is looked at, so a broken
 * schema fails the same way whatever the document holds. */
#ifndef FB_SCHEMA_H
#define FB_SCHEMA_H

#include <stddef.h>
#include <jansson.h>

/* Deepest chain of subschema applications (each property, item, $ref, allOf,
 * anyOf or oneOf step counts one). Deeper documents or schemas are rejected
 * instead of exhausting the stack. */
#define SCHEMA_MAX_DEPTH 64

/* Returns 0 if doc is valid against schema. Otherwise -EINVAL (or -ENOMEM)
 * with err holding the first problem found, as one line starting with a
 * JSON-pointer path into doc, e.g.
 *   /config/mode: 'foo' is not one of none, populate, uffd-stock
 * or, for a broken schema, "schema: <what> at #/<path into the schema>".
 * The root of doc is written "/". err may be NULL; it is "" on success. */
int schema_validate(const json_t *schema, const json_t *doc, char *err, size_t errlen);

/* Loads both files and validates. A file that cannot be opened gives -errno
 * (-ENOENT when missing); one that does not parse gives -EINVAL with
 * "file:line:column: <jansson's text>". Validation problems are prefixed with
 * the name of the file at fault. Duplicate object keys are a parse error. */
int schema_validate_files(const char *schema_path, const char *doc_path, char *err, size_t errlen);

#endif
