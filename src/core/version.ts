import denoJson from "../../deno.json" with { type: "json" };

/** Kiln's version, embedded at build time from deno.json. */
export const VERSION: string = denoJson.version;
