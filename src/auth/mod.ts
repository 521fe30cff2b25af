export { setupAdminToken } from "./admin_token.ts";
export { apiKeyMatches, mintApiKey, parseApiKey } from "./api_key.ts";
export { ExecutionTokens, MAX_EXECUTION_TTL_SECONDS } from "./execution_token.ts";
export { MemoryRevocations } from "./token_revocations.ts";
export {
  allows,
  Authenticator,
  authorOf,
  bearerToken,
  executionPrincipal,
  requireAdmin,
  requirePermission,
} from "./principal.ts";
export type { ApiKeyValidation, Principal } from "./principal.ts";
