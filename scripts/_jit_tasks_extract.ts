/** The extraction tasks of the JIT benchmark: invoice fields and e-mail addresses. */
import type { Rng } from "./_jit_rng.ts";
import type { TaskDef } from "./_jit_task.ts";

const FIRST = [
  "Anna",
  "Ben",
  "Carla",
  "David",
  "Elena",
  "Farid",
  "Grace",
  "Hiro",
  "Ines",
  "Jonas",
  "Keisha",
  "Liam",
  "Maya",
  "Noah",
  "Olga",
  "Pedro",
  "Quinn",
  "Rosa",
  "Sam",
  "Tara",
];
const LAST = [
  "Smith",
  "Garcia",
  "Nguyen",
  "Okafor",
  "Schmidt",
  "Rossi",
  "Kowalski",
  "Tanaka",
  "Haddad",
  "Larsen",
  "Moreau",
  "Patel",
  "Silva",
  "Brennan",
];
const COMPANIES = [
  "Northwind Traders",
  "Bluebird Logistics",
  "Acme Office Supply",
  "Lumen Design Studio",
  "Harbor IT Services",
  "Greenleaf Catering",
  "Summit Cloud Hosting",
  "Pixel & Print",
];
const SERVICES = [
  "web hosting",
  "office furniture",
  "consulting hours",
  "catering for the offsite",
  "printer maintenance",
  "the annual software licence",
  "translation services",
  "cloud storage",
];
const MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August"];

/** Cents as "1,234.50" (or, in some mail clients' templates, "1234.50"). */
function money(cents: number, separators: boolean): string {
  const whole = Math.floor(cents / 100);
  const frac = String(cents % 100).padStart(2, "0");
  const w = separators ? String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ",") : String(whole);
  return `${w}.${frac}`;
}

const SYMBOL: Record<string, string> = { USD: "$", EUR: "€", GBP: "£" };

export const extractInvoice: TaskDef = {
  taskId: "extract-invoice",
  kind: "extraction",
  deterministic: true,
  description:
    "Pull the invoice number, the total amount and its ISO currency code out of a short invoice e-mail.",
  prompt: {
    description: "Extract invoice fields from forwarded supplier e-mails.",
    template: "Extract the invoice number, the total amount due (a number) and the ISO 4217 " +
      "currency code from this e-mail. If a subtotal is listed, the total is the amount labelled " +
      'total. Answer with JSON: {"invoiceNumber": string, "total": number, "currency": ' +
      "string}.\n\nE-mail:\n{{ input.email }}",
    outputFormat: "json",
    outputSchema: {
      type: "object",
      properties: {
        invoiceNumber: { type: ["string", "null"] },
        total: { type: ["number", "null"] },
        currency: { type: ["string", "null"] },
      },
      required: ["invoiceNumber", "total", "currency"],
      additionalProperties: false,
    },
  },
  inputSchema: {
    type: "object",
    properties: { email: { type: "string" } },
    required: ["email"],
    additionalProperties: false,
  },
  calls: 330,
  medianLatencyMs: 1350,
  sample(rng) {
    const first = rng.pick(FIRST);
    const sender = `${rng.pick(FIRST)} ${rng.pick(LAST)}`;
    const company = rng.pick(COMPANIES);
    const service = rng.pick(SERVICES);
    const invoiceNumber = rng.weighted([
      [`INV-${rng.int(2025, 2026)}-${String(rng.int(1, 9999)).padStart(4, "0")}`, 55],
      [`INV-${rng.int(10000, 99999)}`, 30],
      [`SI-${rng.int(100000, 999999)}`, 15],
    ]);
    const currency = rng.weighted([["USD", 50], ["EUR", 25], ["GBP", 15], ["CAD", 5], ["CHF", 5]]);
    const style = currency in SYMBOL
      ? rng.weighted([["symbol", 60], ["code-before", 20], ["code-after", 20]])
      : rng.weighted([["code-before", 50], ["code-after", 50]]);
    const separators = rng.chance(0.7);
    const amount = (cents: number) => {
      const n = money(cents, separators);
      if (style === "symbol") return SYMBOL[currency] + n;
      return style === "code-before" ? `${currency} ${n}` : `${n} ${currency}`;
    };
    const template = rng.weighted([["plain", 40], ["itemized", 25], ["short", 25], [
      "reminder",
      10,
    ]]);
    const subtotal = Math.round(Math.exp(Math.log(2000) + rng.next() * Math.log(900000 / 2000)));
    let total = subtotal;
    let email: string;
    if (template === "itemized") {
      const rate = rng.pick([5, 7, 8, 10, 19, 20]);
      const tax = Math.round(subtotal * rate / 100);
      total = subtotal + tax;
      email = `Invoice ${invoiceNumber}\n\nSubtotal: ${amount(subtotal)}\nTax (${rate}%): ` +
        `${amount(tax)}\nTotal: ${amount(total)}\n\nPlease pay by ${rng.pick(MONTH_NAMES)} ` +
        `${rng.int(1, 28)}.\n${company}`;
    } else if (template === "reminder") {
      const shipping = rng.int(5, 60) * 100 + rng.pick([0, 50, 99]);
      total = subtotal + shipping;
      email = `Hi ${first},\n\nA friendly reminder that invoice ${invoiceNumber} is overdue. ` +
        `Subtotal ${amount(subtotal)} plus shipping ${amount(shipping)} brings the total to ` +
        `${amount(total)}. Please settle it this week.\n\n${sender}, ${company}`;
    } else if (template === "short") {
      email = `Hello ${first}, your invoice ${invoiceNumber} from ${company} is ready. ` +
        `Amount due: ${amount(total)}. Thank you for your business!`;
    } else {
      email = `Hi ${first},\n\nPlease find attached invoice ${invoiceNumber} for ${service} in ` +
        `${rng.pick(MONTH_NAMES)}. The total amount due is ${amount(total)}, payable within ` +
        `${rng.pick([14, 30, 45])} days.\n\nBest regards,\n${sender}\n${company}`;
    }
    return { input: { email }, output: { invoiceNumber, total: total / 100, currency } };
  },
  correct: String.raw`const SYMBOLS = { "$": "USD", "€": "EUR", "£": "GBP" };
const AMOUNT =
  /([$€£])(\d[\d,]*\.\d{2})|\b([A-Z]{3}) (\d[\d,]*\.\d{2})|(\d[\d,]*\.\d{2}) ([A-Z]{3})\b/g;

export function handle(input) {
  const text = String(input.email);
  const number = text.match(/\b[A-Z]{2,4}-\d{4,6}(?:-\d{4})?\b/);
  const amounts = [];
  for (const m of text.matchAll(AMOUNT)) {
    amounts.push({
      index: m.index,
      value: Number((m[2] || m[4] || m[5]).replace(/,/g, "")),
      currency: m[1] ? SYMBOLS[m[1]] : m[3] || m[6],
    });
  }
  const label = text.search(/\btotal\b/i);
  const pick = (label >= 0 && amounts.find((a) => a.index > label)) || amounts[0];
  return {
    invoiceNumber: number ? number[0] : null,
    total: pick ? pick.value : null,
    currency: pick ? pick.currency : null,
  };
}
`,
  correctTests: [
    {
      name: "plain sentence",
      input: {
        email: "Please find attached invoice INV-2026-0042. The total amount due is $1,234.50.",
      },
      expected: { invoiceNumber: "INV-2026-0042", total: 1234.5, currency: "USD" },
    },
    {
      name: "subtotal and tax lines",
      input: {
        email: "Invoice INV-51234\n\nSubtotal: €800.00\nTax (20%): €160.00\nTotal: €960.00",
      },
      expected: { invoiceNumber: "INV-51234", total: 960, currency: "EUR" },
    },
    {
      name: "code after the amount",
      input: { email: "Your invoice SI-204518 is ready. Amount due: 75.20 CHF. Thanks!" },
      expected: { invoiceNumber: "SI-204518", total: 75.2, currency: "CHF" },
    },
    {
      name: "code before the amount, no separators",
      input: { email: "Invoice INV-2025-0918: the total amount due is GBP 2450.00." },
      expected: { invoiceNumber: "INV-2025-0918", total: 2450, currency: "GBP" },
    },
    {
      name: "total after subtotal in prose",
      input: {
        email: "Invoice INV-77001 is overdue. Subtotal CAD 1,100.00 plus shipping CAD 20.00 " +
          "brings the total to CAD 1,120.00.",
      },
      expected: { invoiceNumber: "INV-77001", total: 1120, currency: "CAD" },
    },
    {
      name: "no amount",
      input: { email: "Invoice INV-2026-0001 will follow next week." },
      expected: { invoiceNumber: "INV-2026-0001", total: null, currency: null },
    },
  ],
  wrong: [
    {
      label: "wrong-subtotal",
      note: "looks for /total/i without a word boundary, so it takes the subtotal",
      source: String.raw`const SYMBOLS = { "$": "USD", "€": "EUR", "£": "GBP" };
const AMOUNT =
  /([$€£])(\d[\d,]*\.\d{2})|\b([A-Z]{3}) (\d[\d,]*\.\d{2})|(\d[\d,]*\.\d{2}) ([A-Z]{3})\b/g;

export function handle(input) {
  const text = String(input.email);
  const number = text.match(/\b[A-Z]{2,4}-\d{4,6}(?:-\d{4})?\b/);
  const amounts = [];
  for (const m of text.matchAll(AMOUNT)) {
    amounts.push({
      index: m.index,
      value: Number((m[2] || m[4] || m[5]).replace(/,/g, "")),
      currency: m[1] ? SYMBOLS[m[1]] : m[3] || m[6],
    });
  }
  const label = text.search(/total/i);
  const pick = (label >= 0 && amounts.find((a) => a.index > label)) || amounts[0];
  return {
    invoiceNumber: number ? number[0] : null,
    total: pick ? pick.value : null,
    currency: pick ? pick.currency : null,
  };
}
`,
    },
    {
      label: "wrong-thousands-separator",
      note: "parseFloat stops at the first comma, so 1,234.50 becomes 1",
      source: String.raw`const SYMBOLS = { "$": "USD", "€": "EUR", "£": "GBP" };

export function handle(input) {
  const text = String(input.email);
  const number = text.match(/\b[A-Z]{2,4}-\d{4,6}(?:-\d{4})?\b/);
  const re = /([$€£])(\d[\d,]*\.\d{2})|\b([A-Z]{3}) (\d[\d,]*\.\d{2})|(\d[\d,]*\.\d{2}) ([A-Z]{3})\b/g;
  const amounts = [...text.matchAll(re)].map((m) => ({
    index: m.index,
    value: parseFloat(m[2] || m[4] || m[5]),
    currency: m[1] ? SYMBOLS[m[1]] : m[3] || m[6],
  }));
  const label = text.search(/\btotal\b/i);
  const pick = (label >= 0 && amounts.find((a) => a.index > label)) || amounts[0];
  return {
    invoiceNumber: number ? number[0] : null,
    total: pick ? pick.value : null,
    currency: pick ? pick.currency : null,
  };
}
`,
    },
  ],
};

const DOMAINS: readonly (readonly [string, number])[] = [
  ["example.com", 20],
  ["gmail.com", 18],
  ["northwind.io", 12],
  ["company.org", 10],
  ["mail.acme.io", 6],
  ["acme-corp.co.uk", 5],
  ["eu.bluebird-logistics.com", 3],
  ["cs.uni-example.edu", 4],
];

function address(rng: Rng): string {
  const f = rng.pick(FIRST).toLowerCase();
  const l = rng.pick(LAST).toLowerCase();
  const local = rng.weighted([
    [`${f}.${l}`, 35],
    [`${f[0]}${l}`, 20],
    [f, 15],
    [`${f}_${l}${rng.int(1, 99)}`, 10],
    [`${f}+${rng.pick(["news", "billing", "jobs", "test"])}`, 6],
    [rng.pick(["support", "sales", "info", "billing", "noreply"]), 10],
  ]);
  return `${local}@${rng.weighted(DOMAINS)}`;
}

/** Writes an address the way people do: mostly lowercase, sometimes capitalized. */
function written(rng: Rng, email: string, mixedCase: boolean): string {
  if (!mixedCase) return email;
  const [local, domain] = email.split("@");
  const cap = (s: string) => s.replace(/(^|[._])([a-z])/g, (_m, p, c) => p + c.toUpperCase());
  return rng.weighted([
    [`${cap(local)}@${domain}`, 50],
    [`${cap(local)}@${cap(domain)}`, 30],
    [email.toUpperCase(), 20],
  ]);
}

const EMAIL_SENTENCES = [
  (e: string) => `Please loop in ${e} on this thread.`,
  (e: string) => `You can reach me at ${e}.`,
  (e: string) => `(cc: ${e})`,
  (e: string) => `Forwarding from <${e}>:`,
  (e: string) => `Send the signed copy to ${e}, not to the old address.`,
  (e: string) => `My colleague ${e} handles the renewals`,
  (e: string) => `Contact: ${e}`,
];
const FILLER = [
  "Thanks for the quick call yesterday.",
  "The meeting moved to Thursday at 3 pm.",
  "Attached are the slides from the workshop.",
  "Let me know if the dates still work for your team.",
  "We are still waiting on the signed contract.",
  "See the agenda below.",
  "Our office is closed on Monday.",
  "Best, the events team",
];

export const extractEmails: TaskDef = {
  taskId: "extract-emails",
  kind: "extraction",
  deterministic: true,
  description:
    "List the unique e-mail addresses in a message, lowercased, in order of first appearance.",
  prompt: {
    description: "Collect contact addresses from inbound messages for the CRM.",
    template: "List every distinct e-mail address in the message below, lowercased, in the order " +
      "they first appear. Answer with a JSON array of strings ([] if there are none).\n\n" +
      "Message:\n{{ input.text }}",
    outputFormat: "json",
    outputSchema: { type: "array", items: { type: "string" } },
  },
  inputSchema: {
    type: "object",
    properties: { text: { type: "string" } },
    required: ["text"],
    additionalProperties: false,
  },
  calls: 330,
  medianLatencyMs: 900,
  sample(rng) {
    const n = rng.weighted([[0, 10], [1, 35], [2, 30], [3, 17], [4, 8]]);
    const distinct: string[] = [];
    while (distinct.length < n) {
      const e = address(rng);
      if (!distinct.includes(e)) distinct.push(e);
    }
    const mentions = [...distinct];
    if (n > 0 && rng.chance(0.22)) {
      mentions.splice(rng.int(1, mentions.length), 0, rng.pick(distinct));
    }
    const mixed = rng.chance(0.2);
    const parts = rng.sample(FILLER, rng.int(1, 3));
    for (const e of mentions) {
      // Mentions stay in order: each goes somewhere after the previous one.
      const index = Math.max(rng.int(0, parts.length), lastMention(parts) + 1);
      parts.splice(index, 0, rng.pick(EMAIL_SENTENCES)(written(rng, e, mixed && rng.chance(0.7))));
    }
    const output = mentions.filter((e, i) => mentions.indexOf(e) === i);
    return { input: { text: parts.join(rng.pick([" ", "\n", "\n\n"])) }, output };
  },
  correct: String
    .raw`const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;

export function handle(input) {
  const seen = [];
  for (const found of String(input.text).match(EMAIL) || []) {
    const email = found.toLowerCase();
    if (!seen.includes(email)) seen.push(email);
  }
  return seen;
}
`,
  correctTests: [
    { name: "none", input: { text: "See you on Thursday." }, expected: [] },
    {
      name: "sentence-final period",
      input: { text: "You can reach me at anna.smith@example.com." },
      expected: ["anna.smith@example.com"],
    },
    {
      name: "lowercases and deduplicates",
      input: { text: "Contact: Ben@Gmail.com (cc: ben@gmail.com)" },
      expected: ["ben@gmail.com"],
    },
    {
      name: "plus tag and subdomain",
      input: { text: "Please loop in maya+billing@mail.acme.io and <info@cs.uni-example.edu>:" },
      expected: ["maya+billing@mail.acme.io", "info@cs.uni-example.edu"],
    },
    {
      name: "order of appearance",
      input: { text: "Send it to z@example.com, not a@example.com. Again: z@example.com" },
      expected: ["z@example.com", "a@example.com"],
    },
  ],
  wrong: [
    {
      label: "wrong-case-sensitive",
      note:
        "keeps the address as written, so capitalized duplicates stay and nothing is lowercased",
      source: String.raw`export function handle(input) {
  const found = String(input.text).match(/[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g);
  return [...new Set(found || [])];
}
`,
    },
    {
      label: "wrong-regex-too-narrow",
      note: "no '+' in the local part and a single-label domain, so tags and subdomains break",
      source: String.raw`export function handle(input) {
  const found = String(input.text).toLowerCase().match(/[a-z0-9._]+@[a-z0-9]+\.[a-z]{2,}/g) || [];
  return found.filter((email, i) => found.indexOf(email) === i);
}
`,
    },
    {
      label: "wrong-no-dedupe",
      note: "returns every mention, repeats included",
      source: String.raw`export function handle(input) {
  const found = String(input.text).match(/[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g) || [];
  return found.map((email) => email.toLowerCase());
}
`,
    },
  ],
};

function lastMention(parts: string[]): number {
  let last = -1;
  parts.forEach((p, i) => {
    if (p.includes("@")) last = i;
  });
  return last;
}
