export { setupAdminToken } from "./admin_token.ts";
export type { AdminTokenSetup, AdminTokenVerifier } from "./admin_token.ts";
export { apiKeyMatches, mintApiKey, parseApiKey } from "./api_key.ts";
export type { MintedApiKey } from "./api_key.ts";
export {
  DEFAULT_EXECUTION_TTL_SECONDS,
  EXECUTION_TOKEN_PREFIX,
  ExecutionTokens,
  MAX_EXECUTION_TTL_SECONDS,
} from "./execution_token.ts";
export type { ExecutionTokenPayload, ExecutionTokenRequest } from "./execution_token.ts";
export { DEFAULT_MAX_REVOCATIONS, MemoryRevocations } from "./token_revocations.ts";
export type { TokenRevocations } from "./token_revocations.ts";
export {
  allows,
  Authenticator,
  authorOf,
  bearerToken,
  requireAdmin,
  requirePermission,
} from "./principal.ts";
export type { ApiKeyValidation, Principal } from "./principal.ts";
