import { z } from "zod";
import { AppId } from "./_common.ts";
// A leaf file with no imports: the admin panel bundles it too.
import { isAppPermission } from "./app_permissions.ts";

/** A permission an app key may hold: a known name, `*`, or `family:*` (see APP_PERMISSIONS). */
export const AppPermission = z.string().min(1).refine(isAppPermission, {
  message: "unknown permission; see APP_PERMISSIONS (or use *, or family:*)",
});

/** A stored API key: only its public id and a salted hash, never the secret. */
export const ApiKeyEntry = z.object({
  keyId: z.string().regex(/^[a-z0-9]{12}$/, "keyId must be 12 chars of a-z and 0-9"),
  keyHash: z.string().regex(
    /^sha256\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/,
    "keyHash must be sha256$salt$hash",
  ),
  description: z.string().max(500).default(""),
  permissions: z.array(AppPermission).max(64).default([]),
  enabled: z.boolean().default(true),
  createdAt: z.string().optional(),
});
export type ApiKeyEntry = z.infer<typeof ApiKeyEntry>;

/** Which other apps may send this app which events. */
export const InterAppPermission = z.object({
  allowedSourceAppId: AppId,
  allowedEvents: z.array(z.string().min(1)).default([]),
});

/** `state/security_config.yaml` (contract §2). */
export const SecurityConfig = z.object({
  apiKeys: z.array(ApiKeyEntry).default([]),
  interAppPermissions: z.array(InterAppPermission).default([]),
  userRoles: z.record(z.string(), z.array(z.string())).default({}),
}).superRefine((s, ctx) => {
  const seen = new Set<string>();
  s.apiKeys.forEach((k, i) => {
    if (seen.has(k.keyId)) {
      ctx.addIssue({
        code: "custom",
        message: `duplicate keyId "${k.keyId}"`,
        path: ["apiKeys", i, "keyId"],
      });
    }
    seen.add(k.keyId);
  });
});
export type SecurityConfig = z.infer<typeof SecurityConfig>;
