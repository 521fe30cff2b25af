/** The official MCP SDK clients, both generations, connected to a Kiln `/mcp` with a bearer token. */
import { Client as V1Client } from "@modelcontextprotocol/sdk/client";
// The 1.x package maps `./*` types to `*.js.d.ts`, which do not exist: name the types explicitly.
// @ts-types="@modelcontextprotocol/sdk/client/streamableHttp"
import { StreamableHTTPClientTransport as V1Transport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  Client as V2Client,
  type ClientOptions as V2Options,
  StreamableHTTPClientTransport as V2Transport,
} from "@modelcontextprotocol/client";
import { ADMIN_TOKEN } from "./kiln.ts";

export { V1Client, V2Client };

/** Resolves when a `GET` (the 2025 listen stream) has been answered. */
export interface StreamWatch {
  opened: Promise<void>;
}

/** A v1 SDK client (`@modelcontextprotocol/sdk`, revision 2025-11-25), initialized. */
export async function connectV1(url: URL, token = ADMIN_TOKEN) {
  let opened!: () => void;
  const watch: StreamWatch = { opened: new Promise((r) => opened = r) };
  const client = new V1Client({ name: "kiln-test-v1", version: "1.0.0" });
  const transport = new V1Transport(url, {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      if ((init?.method ?? "GET") === "GET" && res.ok) opened();
      return res;
    },
  });
  await client.connect(transport);
  return { client, transport, watch };
}

/** A v2 SDK client (`@modelcontextprotocol/client`) pinned to revision 2026-07-28. */
export async function connectV2(url: URL, token = ADMIN_TOKEN, options: V2Options = {}) {
  const client = new V2Client({ name: "kiln-test-v2", version: "2.0.0" }, {
    versionNegotiation: { mode: { pin: "2026-07-28" } },
    ...options,
  });
  const transport = new V2Transport(url, {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return { client, transport };
}

/** Rejects after `ms` unless `promise` settles first (a bound on a wait, never a sleep). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** A raw JSON-RPC POST to `/mcp`, as a sandbox sends it: no session, no SDK. */
export async function rawCall(
  url: URL,
  body: unknown,
  headers: Record<string, string> = {},
  // deno-lint-ignore no-explicit-any -- tests index freely into JSON answers
): Promise<{ status: number; headers: Headers; json: any }> {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "Accept": "application/json, text/event-stream",
      "Authorization": `Bearer ${ADMIN_TOKEN}`,
      ...headers,
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
}
