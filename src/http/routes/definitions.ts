import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { authorOf, requirePermission } from "../../auth/mod.ts";
import type { WriteOptions, WriteResult as WriteResultValue } from "../../state/mod.ts";
import type { HttpDeps, KilnEnv } from "../types.ts";
import {
  AppIdParam,
  ApplyDiffBody,
  bodyResponses,
  CommitInfo,
  conflictResponse,
  errorResponses,
  FileContent,
  ok,
  RevertBody,
  SetFileBody,
  WriteResult,
} from "../_schemas.ts";

const TAG = ["definitions"];

/**
 * Definition state routes (contract §3). File paths travel in the `path` query or body field, since
 * they contain slashes; all are relative to the app's `state/` folder.
 */
export function definitionRoutes(app: OpenAPIHono<KilnEnv>, deps: HttpDeps): void {
  const { state } = deps;
  const guard = (c: { var: KilnEnv["Variables"] }, appId: string, permission: string) => {
    requirePermission(c.var.principal, appId, permission);
    deps.registry.getApplicationStatus(appId);
  };
  const read = (c: { var: KilnEnv["Variables"] }, appId: string) =>
    guard(c, appId, "definitions:read");
  const write = (c: { var: KilnEnv["Variables"] }, appId: string) =>
    guard(c, appId, "definitions:write");
  const author = (c: { var: KilnEnv["Variables"] }, given?: string) =>
    given ?? authorOf(c.var.principal);

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/apps/{appId}/definitions/file",
      operationId: "getDefinitionFile",
      tags: TAG,
      summary: "getDefinitionFileContent",
      request: {
        params: AppIdParam,
        query: z.object({ path: z.string().min(1), revision: z.string().optional() }),
      },
      responses: { ...ok(FileContent), ...errorResponses },
    }),
    async (c) => {
      const { appId } = c.req.valid("param");
      read(c, appId);
      const { path, revision } = c.req.valid("query");
      const file = await state.getDefinitionFileContent(appId, path, revision);
      if (!file.found) {
        return c.json({
          error: {
            code: "FILE_NOT_FOUND",
            message: `no file "${path}" at revision ${file.revision ?? "(empty)"}`,
            details: file,
          },
        }, 404);
      }
      return c.json(file, 200);
    },
  );

  // PUT (the whole content) and PATCH (a unified diff against `expectedBaseRevision`) differ only
  // in their body and the state call; the route, guard, commit options and answer are shared.
  const fileWriteRoute = <M extends "put" | "patch", B extends z.ZodType>(
    method: M,
    operationId: string,
    summary: string,
    body: B,
  ) =>
    createRoute({
      method,
      path: "/v1/apps/{appId}/definitions/file",
      operationId,
      tags: TAG,
      summary,
      request: {
        params: AppIdParam,
        body: { content: { "application/json": { schema: body } }, required: true },
      },
      responses: { ...ok(WriteResult), ...errorResponses, ...bodyResponses, ...conflictResponse },
    });
  const fileWrite = async (
    c: { var: KilnEnv["Variables"] },
    appId: string,
    b: { commitMessage: string; author?: string },
    commit: (opts: WriteOptions) => Promise<WriteResultValue>,
  ) => {
    write(c, appId);
    return await commit({ commitMessage: b.commitMessage, author: author(c, b.author) });
  };

  app.openapi(
    fileWriteRoute("put", "setDefinitionFile", "setDefinitionFileContent", SetFileBody),
    async (c) => {
      const { appId } = c.req.valid("param");
      const b = c.req.valid("json");
      const result = await fileWrite(
        c,
        appId,
        b,
        (opts) =>
          state.setDefinitionFileContent(appId, b.path, b.content, b.expectedBaseRevision, opts),
      );
      return c.json(result, 200);
    },
  );

  app.openapi(
    fileWriteRoute(
      "patch",
      "applyDefinitionDiff",
      "applyDefinitionDiff: apply a unified diff to expectedBaseRevision",
      ApplyDiffBody,
    ),
    async (c) => {
      const { appId } = c.req.valid("param");
      const b = c.req.valid("json");
      const result = await fileWrite(
        c,
        appId,
        b,
        (opts) => state.applyDefinitionDiff(appId, b.path, b.diff, b.expectedBaseRevision, opts),
      );
      return c.json(result, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/apps/{appId}/definitions/file",
      operationId: "deleteDefinitionFile",
      tags: TAG,
      summary: "deleteDefinitionFile",
      request: {
        params: AppIdParam,
        query: z.object({
          path: z.string().min(1),
          expectedBaseRevision: z.string().optional(),
          commitMessage: z.string().optional(),
        }),
      },
      responses: { ...ok(WriteResult), ...errorResponses, ...conflictResponse },
    }),
    async (c) => {
      const { appId } = c.req.valid("param");
      write(c, appId);
      const q = c.req.valid("query");
      const result = await state.deleteDefinitionFile(appId, q.path, q.expectedBaseRevision, {
        commitMessage: q.commitMessage ?? `Delete ${q.path}`,
        author: author(c),
      });
      return c.json(result, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/apps/{appId}/definitions/tree",
      operationId: "listDefinitionTree",
      tags: TAG,
      summary: "listDefinitionDirectory",
      request: {
        params: AppIdParam,
        query: z.object({
          path: z.string().default(""),
          recursive: z.enum(["true", "false"]).optional(),
          revision: z.string().optional(),
        }),
      },
      responses: {
        ...ok(z.object({
          entries: z.array(z.object({ path: z.string(), type: z.enum(["file", "directory"]) })),
          revision: z.string().nullable(),
        })),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { appId } = c.req.valid("param");
      read(c, appId);
      const q = c.req.valid("query");
      const listing = await state.listDefinitionDirectory(
        appId,
        q.path,
        q.recursive === "true",
        q.revision,
      );
      return c.json(listing, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/apps/{appId}/definitions/history",
      operationId: "getDefinitionHistory",
      tags: TAG,
      summary: "Commit history, newest first, optionally of one path",
      request: {
        params: AppIdParam,
        query: z.object({
          path: z.string().optional(),
          limit: z.coerce.number().int().min(1).max(500).optional(),
          revision: z.string().optional(),
        }),
      },
      responses: { ...ok(z.object({ commits: z.array(CommitInfo) })), ...errorResponses },
    }),
    async (c) => {
      const { appId } = c.req.valid("param");
      read(c, appId);
      const commits = await state.definitions.history(appId, c.req.valid("query"));
      return c.json({ commits }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/apps/{appId}/definitions/diff",
      operationId: "getDefinitionDiff",
      tags: TAG,
      summary: "Unified diff between two revisions (usable with applyDefinitionDiff)",
      request: {
        params: AppIdParam,
        query: z.object({
          from: z.string(),
          to: z.string().default("main"),
          path: z.string().optional(),
        }),
      },
      responses: {
        ...ok(z.object({ from: z.string(), to: z.string(), diff: z.string() })),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { appId } = c.req.valid("param");
      read(c, appId);
      const { from, to, path } = c.req.valid("query");
      return c.json({ from, to, diff: await state.definitions.diff(appId, from, to, path) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/apps/{appId}/definitions/revert",
      operationId: "revertDefinitions",
      tags: TAG,
      summary: "Commit the inverse of a revision on top of the head (like git revert)",
      request: {
        params: AppIdParam,
        body: { content: { "application/json": { schema: RevertBody } }, required: true },
      },
      responses: { ...ok(WriteResult), ...errorResponses, ...bodyResponses, ...conflictResponse },
    }),
    async (c) => {
      const { appId } = c.req.valid("param");
      write(c, appId);
      const b = c.req.valid("json");
      const result = await state.revert(appId, b.revision, b.expectedBaseRevision, {
        commitMessage: b.commitMessage,
        author: author(c, b.author),
      });
      return c.json(result, 200);
    },
  );
}
