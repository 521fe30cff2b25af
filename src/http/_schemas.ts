import { z } from "@hono/zod-openapi";
import {
  AppDetails as ModelAppDetails,
  AppPermission,
  AppSource,
  AppStatusInfo as ModelAppStatusInfo,
  ErrorEnvelope,
} from "../models/mod.ts";

export { ErrorEnvelope };

const Revision = z.string().regex(/^[0-9a-f]{40}$/, "a full 40-hex commit id");

export const AppIdParam = z.object({
  appId: z.string().openapi({ param: { name: "appId", in: "path" }, example: "support-desk" }),
});

// Rebuilt with the OpenAPI-extended `z`: schemas made before that extension loads lack `.openapi`.
export const RegisterBody = z.union(AppSource.options).openapi("AppSource");
export const AppStatusInfo = z.object(ModelAppStatusInfo.shape).openapi("AppStatusInfo");
export const AppDetails = z.object(ModelAppDetails.shape).openapi("AppDetails");

export const FileContent = z.object({
  found: z.boolean(),
  content: z.string().optional(),
  revision: z.string().nullable(),
}).openapi("FileContent");

export const WriteResult = z.object({
  success: z.literal(true),
  resultingRevision: Revision,
}).openapi("WriteResult");

const WriteMeta = {
  commitMessage: z.string().min(1).max(4000),
  author: z.string().max(300).optional().describe('"Name <email>"'),
};

export const SetFileBody = z.object({
  path: z.string().min(1),
  content: z.string(),
  expectedBaseRevision: Revision.optional(),
  ...WriteMeta,
});

export const ApplyDiffBody = z.object({
  path: z.string().min(1),
  diff: z.string().min(1).describe("a unified diff against expectedBaseRevision"),
  expectedBaseRevision: Revision,
  ...WriteMeta,
});

export const RevertBody = z.object({
  revision: z.string().min(4),
  expectedBaseRevision: Revision.optional(),
  commitMessage: z.string().min(1).max(4000).optional(),
  author: z.string().max(300).optional(),
});

export const CommitInfo = z.object({
  revision: z.string(),
  message: z.string(),
  author: z.object({ name: z.string(), email: z.string() }),
  timestamp: z.string(),
  parents: z.array(z.string()),
}).openapi("CommitInfo");

export const RuntimeKeyParams = AppIdParam.extend({
  key: z.string().min(1).max(512).openapi({ param: { name: "key", in: "path" } }),
});

export const RuntimeSetBody = z.object({
  value: z.unknown(),
  ttlSeconds: z.number().positive().optional(),
});

export const KeyCreateBody = z.object({
  description: z.string().max(500).optional(),
  permissions: z.array(AppPermission).max(64).optional()
    .describe("e.g. definitions:read, runtime:*, or * (default)"),
});

const envelope = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorEnvelope } },
});

/** What every `/v1` route can answer besides success: bad input, auth, a missing thing, a fault. */
export const errorResponses = {
  400: envelope("invalid input (VALIDATION_ERROR, BAD_REQUEST, LIMIT_EXCEEDED)"),
  401: envelope("missing or invalid token (UNAUTHORIZED)"),
  403: envelope("not permitted (FORBIDDEN)"),
  404: envelope("the app or resource does not exist (APP_NOT_FOUND, NOT_FOUND, …)"),
  500: envelope("an unexpected fault inside Kiln (INTERNAL)"),
};

export const conflictResponse = {
  409: envelope("stale base revision or conflict"),
};

/** Routes that read a request body: the body budget and its media type. */
export const bodyResponses = {
  413: envelope("the request body exceeds its budget (PAYLOAD_TOO_LARGE)"),
};

/** Routes that take either JSON or a tarball and check the media type themselves. */
export const mediaTypeResponse = {
  415: envelope("neither JSON nor a tarball (UNSUPPORTED_MEDIA_TYPE)"),
};

/** Routes served by a subsystem that may not run on this node or may be shutting down. */
export const unavailableResponse = {
  503: envelope("the subsystem is not running on this node (UNAVAILABLE)"),
};

/** Routes that admit work against a bounded queue. */
export const overloadedResponse = {
  429: envelope("too much work in flight; retry later (OVERLOADED)"),
};

/** A JSON 200 response for the OpenAPI document. */
export function ok<T extends z.ZodType>(schema: T, description = "OK") {
  return { 200: { description, content: { "application/json": { schema } } } };
}
