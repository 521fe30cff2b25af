import { z } from "zod";

/** The error envelope every Kiln API answers with on failure. */
export const ErrorEnvelope = z.object({
  error: z.object({
    code: z.string().describe("stable machine-readable code, e.g. CONFLICT"),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
