import { CliError } from "./_output.ts";

/** Where the CLI finds a running Kiln and how it authenticates. */
export interface Remote {
  url: string;
  token?: string;
}

export const DEFAULT_URL = "http://127.0.0.1:7411";

/** Calls Kiln's HTTP API; an error envelope becomes a CliError quoting its code and message. */
export async function callApi(
  remote: Remote,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  if (!remote.token) {
    throw new CliError("no admin token: pass --token or set KILN_ADMIN_TOKEN", 2);
  }
  let res: Response;
  try {
    res = await fetch(new URL(path, remote.url), {
      method,
      headers: {
        authorization: `Bearer ${remote.token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new CliError(`cannot reach Kiln at ${remote.url}: ${(err as Error).message}`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    throw new CliError(`Kiln answered ${res.status} with a body that is not JSON`);
  }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string; details?: unknown } })?.error;
    const details = e?.details ? `\n${JSON.stringify(e.details, null, 2)}` : "";
    throw new CliError(`${e?.code ?? res.status}: ${e?.message ?? res.statusText}${details}`);
  }
  return json;
}
