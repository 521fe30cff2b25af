import { allows, type ApiKeyValidation, bearerToken } from "../auth/mod.ts";
import { KilnError, quote } from "../core/mod.ts";
import type { ComponentDefinition } from "../models/mod.ts";

/**
 * Checks the app API key an `auth: apiKey` route needs: a key of this very app holding `invoke`.
 * Public routes need nothing. Answers the `userInfo` the component sees.
 */
export function authorizeRoute(
  appId: string,
  component: ComponentDefinition,
  header: string | null,
  validateApiKey: (apiKey: string) => ApiKeyValidation,
): Record<string, unknown> | undefined {
  if ((component.routeMatcher?.auth ?? "public") !== "apiKey") return undefined;
  const token = bearerToken(header);
  if (!token) {
    throw new KilnError(
      "UNAUTHORIZED",
      `this route of app ${quote(appId)} needs an app API key: Authorization: Bearer <key>`,
    );
  }
  const key = validateApiKey(token);
  if (!key.isValid || !key.appId || !key.keyId) {
    throw new KilnError("UNAUTHORIZED", "invalid or revoked API key");
  }
  if (key.appId !== appId) {
    throw new KilnError("FORBIDDEN", `this API key belongs to another app, not ${quote(appId)}`);
  }
  const principal = {
    kind: "app" as const,
    appId,
    keyId: key.keyId,
    permissions: key.permissions ?? [],
  };
  if (!allows(principal, appId, "invoke")) {
    throw new KilnError("FORBIDDEN", `this API key may not "invoke" on app ${quote(appId)}`);
  }
  return { keyId: key.keyId };
}
