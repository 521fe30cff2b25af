export { adminRoutes } from "./routes.ts";
export { AdminSessions } from "./sessions.ts";
export { sessionPrincipal } from "./session_auth.ts";
