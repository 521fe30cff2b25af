export { setupAdminToken } from "./admin_token.ts";
export type { AdminTokenSetup, AdminTokenVerifier } from "./admin_token.ts";
export { apiKeyMatches, mintApiKey, parseApiKey } from "./api_key.ts";
export type { MintedApiKey } from "./api_key.ts";
export {
  allows,
  APP_PERMISSIONS,
  Authenticator,
  bearerToken,
  requireAdmin,
  requirePermission,
} from "./principal.ts";
export type { ApiKeyValidation, Principal } from "./principal.ts";
