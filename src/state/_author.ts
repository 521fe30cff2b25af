import { type Clock, KilnError, quote } from "../core/mod.ts";
import type { Author } from "./definitions.ts";
import type { Signature } from "./_git_objects.ts";

/** Who commits when no author is given. */
export const DEFAULT_AUTHOR = { name: "Kiln", email: "kiln@localhost" } as const;

const MAX_MESSAGE = 64 * 1024;
const PERSON = /^\s*([^<>\n]*?)\s*<([^<>\n]*)>\s*$/;
// deno-lint-ignore no-control-regex -- control characters are exactly what is refused
const BAD_IDENT = /[<>\u0000-\u001f\u007f]/;

/**
 * Turns an `Author` into a Git signature stamped by the clock. Names and emails that would
 * corrupt the commit header (angle brackets, newlines) are refused, since `git fsck --strict`
 * must stay clean.
 */
export function toSignature(author: Author | undefined, clock: Clock): Signature {
  let name: string;
  let email: string;
  if (author === undefined || author === "") ({ name, email } = DEFAULT_AUTHOR);
  else if (typeof author === "string") {
    const m = PERSON.exec(author);
    if (!m) {
      throw new KilnError(
        "VALIDATION_ERROR",
        `author ${quote(author)} must look like "Name <email>"`,
        { issues: [{ path: "", field: "author", message: 'must look like "Name <email>"' }] },
      );
    }
    [name, email] = [m[1], m[2]];
  } else {
    [name, email] = [String(author.name ?? "").trim(), String(author.email ?? "").trim()];
  }
  for (const [field, value] of [["name", name], ["email", email]] as const) {
    if (value === "" || value.length > 256 || BAD_IDENT.test(value)) {
      throw new KilnError(
        "VALIDATION_ERROR",
        `author ${field} ${
          quote(value)
        } must be 1-256 characters without <, > or control characters`,
        { issues: [{ path: "", field: `author.${field}`, message: "invalid" }] },
      );
    }
  }
  return { name, email, timestamp: Math.floor(clock.now() / 1000), timezoneOffset: 0 };
}

/** A commit message Git and `git fsck` accept: no NUL, bounded, never empty. */
export function commitMessage(message: string | undefined, fallback: string): string {
  const text = (message ?? "").trim() === "" ? fallback : message!;
  if (text.length > MAX_MESSAGE) {
    throw new KilnError(
      "PAYLOAD_TOO_LARGE",
      `commit message is longer than ${MAX_MESSAGE} characters`,
    );
  }
  if (text.includes("\0")) {
    throw new KilnError("VALIDATION_ERROR", "commit message contains a NUL character", {
      issues: [{ path: "", field: "commitMessage", message: "contains a NUL character" }],
    });
  }
  return text;
}
