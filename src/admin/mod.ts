export { adminRoutes } from "./routes.ts";
export type { AdminDeps } from "./routes.ts";
export { AdminSessions, csrfTokenFor, DEFAULT_SESSION_TTL_SECONDS } from "./sessions.ts";
export type { NewSession, SessionInfo } from "./sessions.ts";
export {
  checkOrigin,
  CSRF_HEADER,
  isUnsafe,
  SESSION_COOKIE,
  sessionPrincipal,
} from "./session_auth.ts";
