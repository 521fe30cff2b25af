/** The formatting tasks of the JIT benchmark: US phone numbers and calendar dates. */
import type { Rng } from "./_jit_rng.ts";
import type { TaskDef } from "./_jit_task.ts";

const digits = (rng: Rng, n: number) => Array.from({ length: n }, () => rng.int(0, 9)).join("");

/** A phone number's notations and how often callers used each; `A`, `B`, `C` are the groups. */
const PHONE_NOTATIONS: readonly (readonly [string, number])[] = [
  ["(A) B-C", 22],
  ["A-B-C", 18],
  ["A.B.C", 12],
  ["ABC", 11],
  ["+1 A B C", 8],
  ["+1 (A) B-C", 7],
  ["1-A-B-C", 8],
  ["1 (A) B-C", 4],
  ["A B C", 6],
  ["+1.A.B.C", 3],
  ["+1ABC", 6],
];

export const formatPhone: TaskDef = {
  taskId: "format-phone",
  kind: "formatting",
  deterministic: true,
  description: "Normalize a US phone number written in any common notation to +1-AAA-BBB-CCCC.",
  prompt: {
    description: "Normalize US phone numbers for the CRM import.",
    template:
      "Rewrite this US phone number in the form +1-AAA-BBB-CCCC (country code, area code, " +
      "exchange, line). Reply with the number only.\n\nPhone number: {{ input.phone }}",
    outputFormat: "text",
    outputSchema: { type: "string", pattern: "^\\+1-\\d{3}-\\d{3}-\\d{4}$" },
  },
  inputSchema: {
    type: "object",
    properties: { phone: { type: "string" } },
    required: ["phone"],
    additionalProperties: false,
  },
  calls: 340,
  medianLatencyMs: 640,
  sample(rng) {
    const a = String(rng.int(2, 9)) + digits(rng, 2);
    const b = String(rng.int(2, 9)) + digits(rng, 2);
    const c = digits(rng, 4);
    let phone = rng.weighted(PHONE_NOTATIONS).replace("A", a).replace("B", b).replace("C", c);
    if (rng.chance(0.05)) phone = "tel: " + phone;
    if (rng.chance(0.08)) phone = " " + phone + " ";
    return { input: { phone }, output: `+1-${a}-${b}-${c}` };
  },
  correct: String.raw`export function handle(input) {
  let digits = String(input.phone).replace(/\D/g, "");
  if (digits.length === 11 && digits[0] === "1") digits = digits.slice(1);
  return "+1-" + digits.slice(0, 3) + "-" + digits.slice(3, 6) + "-" + digits.slice(6, 10);
}
`,
  correctTests: [
    {
      name: "parenthesized area code",
      input: { phone: "(415) 555-0132" },
      expected: "+1-415-555-0132",
    },
    { name: "dotted", input: { phone: "212.555.0199" }, expected: "+1-212-555-0199" },
    { name: "bare ten digits", input: { phone: "3125550147" }, expected: "+1-312-555-0147" },
    {
      name: "country code with plus",
      input: { phone: "+1 646 555 0100" },
      expected: "+1-646-555-0100",
    },
    {
      name: "country code without plus",
      input: { phone: "1-800-555-0175" },
      expected: "+1-800-555-0175",
    },
    { name: "E.164", input: { phone: "+17025550123" }, expected: "+1-702-555-0123" },
    {
      name: "tel: prefix and spaces",
      input: { phone: " tel: 1 (503) 555-0111 " },
      expected: "+1-503-555-0111",
    },
  ],
  wrong: [
    {
      label: "wrong-country-code-prefix",
      note:
        'strips a leading "+1" as text, so 1-AAA-… and tel:+1… keep the 1 as the first area digit',
      source: String.raw`export function handle(input) {
  let phone = String(input.phone).trim();
  if (phone.startsWith("+1")) phone = phone.slice(2);
  const digits = phone.replace(/\D/g, "");
  return "+1-" + digits.slice(0, 3) + "-" + digits.slice(3, 6) + "-" + digits.slice(6, 10);
}
`,
    },
    {
      label: "wrong-regex-too-narrow",
      note: "requires a separator between exchange and line, so run-together digits fall through",
      source: String.raw`export function handle(input) {
  const phone = String(input.phone);
  const m = phone.match(/\(?(\d{3})\)?[-. ]?(\d{3})[-. ](\d{4})/);
  if (!m) return phone.trim();
  return "+1-" + m[1] + "-" + m[2] + "-" + m[3];
}
`,
    },
  ],
};

const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const pad2 = (n: number) => String(n).padStart(2, "0");
const ordinal = (d: number) =>
  d +
  (d % 10 === 1 && d !== 11
    ? "st"
    : d % 10 === 2 && d !== 12
    ? "nd"
    : d % 10 === 3 && d !== 13
    ? "rd"
    : "th");
const abbrev = (rng: Rng, m: number) => {
  const name = MONTHS[m - 1];
  if (name.length <= 4) return name;
  if (m === 9 && rng.chance(0.3)) return "Sept.";
  return name.slice(0, 3) + (rng.chance(0.4) ? "." : "");
};

type DateNotation = (rng: Rng, y: number, m: number, d: number) => string;
const DATE_NOTATIONS: readonly (readonly [DateNotation, number])[] = [
  [(_r, y, m, d) => `${y}-${pad2(m)}-${pad2(d)}`, 12],
  [(r, y, m, d) => r.chance(0.5) ? `${pad2(m)}/${pad2(d)}/${y}` : `${m}/${d}/${y}`, 18],
  [(_r, y, m, d) => `${MONTHS[m - 1]} ${d}, ${y}`, 16],
  [(r, y, m, d) => `${abbrev(r, m)} ${d}, ${y}`, 10],
  [(_r, y, m, d) => `${d} ${MONTHS[m - 1]} ${y}`, 12],
  [(_r, y, m, d) => `${pad2(d)}-${MONTHS[m - 1].slice(0, 3)}-${y}`, 9],
  [(_r, y, m, d) => `${y}/${pad2(m)}/${pad2(d)}`, 6],
  [(_r, y, m, d) => `${MONTHS[m - 1]} ${ordinal(d)}, ${y}`, 10],
  [(_r, y, m, d) => `${y}${pad2(m)}${pad2(d)}`, 4],
  [(_r, y, m, d) => `${m}/${d}/${String(y).slice(2)}`, 6],
  [(_r, y, m, d) => {
    const wd = WEEKDAYS[new Date(Date.UTC(y, m - 1, d)).getUTCDay()];
    return `${wd}, ${MONTHS[m - 1]} ${d}, ${y}`;
  }, 4],
];

export const formatDate: TaskDef = {
  taskId: "format-date",
  kind: "formatting",
  deterministic: true,
  description: "Rewrite a calendar date written in a US-English notation as ISO 8601 YYYY-MM-DD.",
  prompt: {
    description: "Normalize dates typed into the booking form.",
    template: "Convert this date to ISO 8601 (YYYY-MM-DD). Numeric dates with slashes are US " +
      "month/day order; two-digit years are in the 2000s. Reply with the date only.\n\n" +
      "Date: {{ input.date }}",
    outputFormat: "text",
    outputSchema: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}$" },
  },
  inputSchema: {
    type: "object",
    properties: { date: { type: "string" } },
    required: ["date"],
    additionalProperties: false,
  },
  calls: 360,
  medianLatencyMs: 700,
  sample(rng) {
    const y = rng.int(2018, 2027);
    const m = rng.int(1, 12);
    const d = rng.int(1, new Date(Date.UTC(y, m, 0)).getUTCDate());
    const date = rng.weighted(DATE_NOTATIONS)(rng, y, m, d);
    return { input: { date }, output: `${y}-${pad2(m)}-${pad2(d)}` };
  },
  correct: String
    .raw`const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

function iso(y, m, d) {
  return String(y) + "-" + String(m).padStart(2, "0") + "-" + String(d).padStart(2, "0");
}

function month(name) {
  return MONTHS.indexOf(name.slice(0, 3).toLowerCase()) + 1;
}

export function handle(input) {
  const s = String(input.date).trim();
  let m = s.match(/^(\d{4})[-\/](\d{1,2})[-\/](\d{1,2})$/);
  if (m) return iso(m[1], Number(m[2]), Number(m[3]));
  m = s.match(/^(\d{4})(\d{2})(\d{2})$/);
  if (m) return iso(m[1], Number(m[2]), Number(m[3]));
  m = s.match(/^(\d{1,2})\/(\d{1,2})\/(\d{4}|\d{2})$/);
  if (m) {
    const year = m[3].length === 2 ? 2000 + Number(m[3]) : Number(m[3]);
    return iso(year, Number(m[1]), Number(m[2]));
  }
  m = s.match(/([A-Za-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?, (\d{4})$/);
  if (m) return iso(m[3], month(m[1]), Number(m[2]));
  m = s.match(/^(\d{1,2})[ -]([A-Za-z]+)[ -](\d{4})$/);
  if (m) return iso(m[3], month(m[2]), Number(m[1]));
  return s;
}
`,
  correctTests: [
    { name: "already ISO", input: { date: "2026-03-07" }, expected: "2026-03-07" },
    { name: "US slashes", input: { date: "3/7/2026" }, expected: "2026-03-07" },
    { name: "two-digit year", input: { date: "12/31/25" }, expected: "2025-12-31" },
    { name: "month name", input: { date: "March 7, 2026" }, expected: "2026-03-07" },
    {
      name: "abbreviated month with dot",
      input: { date: "Sept. 14, 2024" },
      expected: "2024-09-14",
    },
    { name: "day first", input: { date: "7 March 2026" }, expected: "2026-03-07" },
    { name: "ordinal", input: { date: "August 1st, 2023" }, expected: "2023-08-01" },
    { name: "weekday", input: { date: "Friday, May 1, 2026" }, expected: "2026-05-01" },
    { name: "compact", input: { date: "20191105" }, expected: "2019-11-05" },
  ],
  wrong: [
    {
      label: "wrong-day-month-order",
      note: "reads slash dates as day/month/year",
      source: String
        .raw`const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

function iso(y, m, d) {
  return String(y) + "-" + String(m).padStart(2, "0") + "-" + String(d).padStart(2, "0");
}

export function handle(input) {
  const s = String(input.date).trim();
  let m = s.match(/^(\d{4})[-\/]?(\d{2})[-\/]?(\d{2})$/);
  if (m) return iso(m[1], Number(m[2]), Number(m[3]));
  m = s.match(/^(\d{1,2})\/(\d{1,2})\/(\d{2,4})$/);
  if (m) return iso(m[3].length === 2 ? "20" + m[3] : m[3], Number(m[2]), Number(m[1]));
  m = s.match(/([A-Za-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?, (\d{4})$/);
  if (m) return iso(m[3], MONTHS.indexOf(m[1].slice(0, 3).toLowerCase()) + 1, Number(m[2]));
  m = s.match(/^(\d{1,2})[ -]([A-Za-z]+)[ -](\d{4})$/);
  if (m) return iso(m[3], MONTHS.indexOf(m[2].slice(0, 3).toLowerCase()) + 1, Number(m[1]));
  return s;
}
`,
    },
    {
      label: "wrong-missing-notations",
      note: "no ordinal suffixes and no dashes in day-month-year dates",
      source: String
        .raw`const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

function iso(y, m, d) {
  return String(y) + "-" + String(m).padStart(2, "0") + "-" + String(d).padStart(2, "0");
}

export function handle(input) {
  const s = String(input.date).trim();
  let m = s.match(/^(\d{4})[-\/]?(\d{2})[-\/]?(\d{2})$/);
  if (m) return iso(m[1], Number(m[2]), Number(m[3]));
  m = s.match(/^(\d{1,2})\/(\d{1,2})\/(\d{2,4})$/);
  if (m) return iso(m[3].length === 2 ? "20" + m[3] : m[3], Number(m[1]), Number(m[2]));
  m = s.match(/([A-Za-z]+)\.? (\d{1,2}), (\d{4})$/);
  if (m) return iso(m[3], MONTHS.indexOf(m[1].slice(0, 3).toLowerCase()) + 1, Number(m[2]));
  m = s.match(/^(\d{1,2}) ([A-Za-z]+) (\d{4})$/);
  if (m) return iso(m[3], MONTHS.indexOf(m[2].slice(0, 3).toLowerCase()) + 1, Number(m[1]));
  return s;
}
`,
    },
  ],
};

type Slot = readonly (readonly [string, string])[];
/** Title slot values and their slug (accents dropped, apostrophes removed, "&" as "and"). */
const SLOTS: Record<string, Slot> = {
  verb: [["Cut", "cut"], ["Plan", "plan"], ["Organize", "organize"], ["Fund", "fund"], [
    "Automate",
    "automate",
  ], ["Rethink", "rethink"]],
  noun: [
    ["Cloud Costs", "cloud costs"],
    ["Remote Teams", "remote teams"],
    ["Home Office", "home office"],
    ["Budget Travel", "budget travel"],
    ["Your Résumé", "your resume"],
    ["a Café Menu", "a cafe menu"],
    ["Crème Brûlée", "creme brulee"],
    ["Open Source", "open source"],
    ["Kids' Lunches", "kids lunches"],
    ["Weekend Trips", "weekend trips"],
    ["Team Offsites", "team offsites"],
    ["R&D Budgets", "r and d budgets"],
  ],
  place: [["Zürich", "zurich"], ["Berlin", "berlin"], ["Austin", "austin"], ["Lisbon", "lisbon"], [
    "Montréal",
    "montreal",
  ], ["Denver", "denver"]],
  adj: [
    ["Naïve", "naive"],
    ["Practical", "practical"],
    ["Complete", "complete"],
    ["Lazy", "lazy"],
    [
      "Beginner's",
      "beginners",
    ],
    ["No-Nonsense", "no nonsense"],
  ],
  season: [["Winter", "winter"], ["Spring", "spring"], ["Summer", "summer"], ["Fall", "fall"]],
};
const TITLES = [
  "{n} Ways to {verb} {noun}",
  "How to {verb} {noun} in {year}",
  "{place} on a Budget: {n} Lessons from the First Year",
  "Why {noun} Matters for Small Business",
  "{noun} & {noun}: A {adj} Guide",
  "The {adj} Guide to {noun} in {place}",
  "{adj} {noun} Ideas for {season} {year}",
  "What I Learned Running {noun} for {n} Years (and What I'd Change)",
  "Don't {verb} {noun} Before Reading This",
  "{season} Is Here... Time to {verb} {noun}?",
];
const SUBTITLES = [
  "Notes from Our Team",
  "Everything You’re Doing Wrong",
  "Don't Make These Mistakes",
  "A Step-by-Step Walkthrough",
  "Updated for {year}",
];
/** Slug tokens of the fixed, ASCII-only parts of a title template. */
const asciiTokens = (text: string) =>
  text.toLowerCase().replace(/&/g, " and ").replace(/['’]/g, "").split(/[^a-z0-9]+/)
    .filter(Boolean);

export const slugifyTitle: TaskDef = {
  taskId: "slugify-title",
  kind: "formatting",
  deterministic: true,
  description:
    "Turn a blog post title into a URL slug: ASCII lowercase words joined by dashes, at most 60 characters.",
  prompt: {
    description: "Make URL slugs for the CMS.",
    template: "Write the URL slug for this article title: lowercase ASCII letters and digits, " +
      "accents dropped, apostrophes removed, '&' as 'and', words joined by single dashes, at most " +
      "60 characters without cutting a word. Reply with the slug only.\n\nTitle: {{ input.title }}",
    outputFormat: "text",
    outputSchema: { type: "string", pattern: "^[a-z0-9]+(-[a-z0-9]+)*$", maxLength: 60 },
  },
  inputSchema: {
    type: "object",
    properties: { title: { type: "string" } },
    required: ["title"],
    additionalProperties: false,
  },
  calls: 330,
  medianLatencyMs: 760,
  sample(rng) {
    let template = rng.pick(TITLES);
    if (rng.chance(0.3)) template += rng.pick([" - ", ": ", " | "]) + rng.pick(SUBTITLES);
    let text = "";
    const tokens: string[] = [];
    for (const piece of template.split(/(\{\w+\})/)) {
      const slot = piece.match(/^\{(\w+)\}$/)?.[1];
      let value: readonly [string, string];
      if (!slot) value = [piece, asciiTokens(piece).join(" ")];
      else if (slot === "n" || slot === "year") {
        const n = String(slot === "n" ? rng.int(3, 12) : rng.int(2019, 2027));
        value = [n, n];
      } else value = rng.pick(SLOTS[slot]);
      text += value[0];
      tokens.push(...value[1].split(" ").filter(Boolean));
    }
    if (rng.chance(0.1)) text = text.toLowerCase();
    if (rng.chance(0.05)) text = ` ${text.replace(/ /g, rng.pick([" ", "  "]))} `;
    let output = "";
    for (const token of tokens) {
      const next = output ? `${output}-${token}` : token;
      if (next.length > 60) break;
      output = next;
    }
    return { input: { title: text }, output };
  },
  correct: String.raw`export function handle(input) {
  let slug = String(input.title)
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/&/g, " and ")
    .replace(/['’]/g, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  if (slug.length > 60) {
    const cut = slug.slice(0, 60);
    slug = slug[60] === "-" ? cut : cut.slice(0, Math.max(0, cut.lastIndexOf("-")));
  }
  return slug.replace(/-+$/, "");
}
`,
  correctTests: [
    { name: "simple", input: { title: "Better Sleep Habits" }, expected: "better-sleep-habits" },
    {
      name: "accents",
      input: { title: "Crème Brûlée at a Zürich Café" },
      expected: "creme-brulee-at-a-zurich-cafe",
    },
    {
      name: "apostrophes",
      input: { title: "Don't Skip the Editor's Notes" },
      expected: "dont-skip-the-editors-notes",
    },
    {
      name: "ampersand and punctuation",
      input: { title: "Coffee & Code: Lessons, 2026!" },
      expected: "coffee-and-code-lessons-2026",
    },
    {
      name: "long title cut at a word",
      input: {
        title:
          "The First Year with Your New Home Office: Lessons from Remote Teams on Budget Travel",
      },
      expected: "the-first-year-with-your-new-home-office-lessons-from-remote",
    },
    {
      name: "spaces and slashes",
      input: { title: "  Garden / Kitchen  Guide  " },
      expected: "garden-kitchen-guide",
    },
  ],
  wrong: [
    {
      label: "wrong-drops-accented-letters",
      note: "strips non-ASCII characters instead of their accents, so Café becomes caf",
      source: String.raw`export function handle(input) {
  let slug = String(input.title)
    .toLowerCase()
    .replace(/&/g, " and ")
    .replace(/['’]/g, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  if (slug.length > 60) {
    const cut = slug.slice(0, 60);
    slug = slug[60] === "-" ? cut : cut.slice(0, Math.max(0, cut.lastIndexOf("-")));
  }
  return slug.replace(/-+$/, "");
}
`,
    },
    {
      label: "wrong-truncates-mid-word",
      note: "cuts at 60 characters even inside a word",
      source: String.raw`export function handle(input) {
  const slug = String(input.title)
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/&/g, " and ")
    .replace(/['’]/g, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return slug.slice(0, 60).replace(/-+$/, "");
}
`,
    },
    {
      label: "wrong-apostrophe-as-separator",
      note: "turns apostrophes into dashes (don-t) and only knows the straight apostrophe",
      source: String.raw`export function handle(input) {
  const words = String(input.title)
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/&/g, " and ")
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  let slug = "";
  for (const word of words) {
    const next = slug ? slug + "-" + word : word;
    if (next.length > 60) break;
    slug = next;
  }
  return slug;
}
`,
    },
  ],
};
