/**
 * JSON as values: what stores keep, workflows pass between steps and expressions produce.
 * Shared by every layer, so it lives at the bottom.
 */

/** A JSON scalar. */
export type JsonPrimitive = null | boolean | number | string;

/** A JSON array. */
export type JsonArray = JsonValue[];

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** Any JSON value. */
export type JsonValue = JsonPrimitive | JsonArray | JsonObject;
