/** A support ticket (`schemas/ticket.schema.json`). */
interface Ticket {
  subject: string;
  description: string;
  customerTier?: "free" | "pro" | "enterprise";
  affectedUsers?: number;
}

interface RequestData {
  input?: unknown;
  httpDetails?: { body: string | null; bodyEncoding: string };
}

interface Context {
  configuration: { escalationScore?: number };
}

const TIER_POINTS = { free: 0, pro: 1, enterprise: 3 };

const SIGNALS: [RegExp, number, string][] = [
  [/\b(security|breach|vulnerab\w*|leak\w*|hacked|phishing)\b/, 4, "possible security issue"],
  [
    /\b(outage|down|unavailable|50[234])\b|\b(cannot|can't|unable to) log ?in\b/,
    3,
    "service unusable",
  ],
  [/\b(data loss|lost (all |our )?data|deleted)\b/, 3, "possible data loss"],
  [/\b(urgent|asap|immediately)\b/, 1, "marked urgent"],
];

/**
 * POST /tickets/priority (and the triage workflow's first step): a cheap, explainable priority,
 * so the LLM is not needed to decide what is on fire.
 */
export function ticketPriority(requestData: RequestData, context: Context) {
  const ticket = readTicket(requestData);
  const reasons: string[] = [];
  let score = TIER_POINTS[ticket.customerTier ?? "free"] ?? 0;
  if (score > 0) reasons.push(`${ticket.customerTier} customer`);
  const users = ticket.affectedUsers ?? 1;
  const reach = users >= 100 ? 3 : users >= 10 ? 2 : users >= 2 ? 1 : 0;
  if (reach > 0) reasons.push(`${users} users affected`);
  score += reach;
  const text = `${ticket.subject}\n${ticket.description}`.toLowerCase();
  for (const [pattern, points, reason] of SIGNALS) {
    if (!pattern.test(text)) continue;
    score += points;
    reasons.push(reason);
  }
  const priority = score >= 8 ? "P1" : score >= 5 ? "P2" : score >= 3 ? "P3" : "P4";
  const escalate = score >= (context.configuration.escalationScore ?? 7);
  return { priority, score, escalate, reasons };
}

function readTicket(requestData: RequestData): Ticket {
  let value = requestData.input;
  if (isObject(value) && isObject(value.ticket)) value = value.ticket;
  if (value === undefined) {
    const http = requestData.httpDetails;
    if (!http?.body || http.bodyEncoding !== "utf8") {
      throw new Error("expected a ticket as a UTF-8 JSON body");
    }
    value = JSON.parse(http.body);
  }
  if (
    !isObject(value) || typeof value.subject !== "string" || typeof value.description !== "string"
  ) {
    throw new Error("a ticket needs a string subject and description");
  }
  return value as unknown as Ticket;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
