/** The classification and routing tasks of the JIT benchmark: review sentiment, ticket queues. */
import type { Rng } from "./_jit_rng.ts";
import type { TaskDef } from "./_jit_task.ts";

const PRODUCTS = ["blender", "headset", "backpack", "desk lamp", "kettle", "keyboard", "tent"];
const FEATURES = ["handle", "lid", "battery", "strap", "cable", "zipper", "button", "base"];
const USES = ["camping", "the office", "travel", "small kitchens", "gaming", "the gym"];
const RELATIVES = ["sister", "dad", "partner", "son", "roommate", "grandmother"];

type Phrase = (rng: Rng) => string;
/** Each phrase carries exactly one keyword of the rule's vocabulary; the score is its effect. */
const POSITIVE: Phrase[] = [
  (r) => `The ${r.pick(PRODUCTS)} is great.`,
  () => "Excellent build quality.",
  (r) => `I love the ${r.pick(FEATURES)}.`,
  (r) => `Perfect for ${r.pick(USES)}.`,
  () => "Amazing value for the price.",
  () => "Very comfortable to use.",
  () => "It has been reliable so far.",
  () => "Feels sturdy in the hand.",
  () => "Shipping was fast.",
  () => "I would recommend it.",
  (r) => `My ${r.pick(RELATIVES)} is happy with it.`,
  () => "Solid purchase overall.",
];
const NEGATIVE: Phrase[] = [
  (r) => `It broke after ${r.int(2, 20)} days.`,
  (r) => `Terrible ${r.pick(FEATURES)}.`,
  () => "I am disappointed.",
  (r) => `The ${r.pick(FEATURES)} feels flimsy.`,
  () => "Charging is slow.",
  () => "I asked for a refund.",
  () => "Awful customer support.",
  () => "It looks cheap up close.",
  () => "The bottom started leaking.",
  () => "The manual is useless.",
  () => "I returned it.",
  () => "The fan is noisy.",
];
/** Negated keywords: the rule flips a keyword directly after "not" or "never". */
const NEGATED_POSITIVE: Phrase[] = [
  (r) => `The ${r.pick(FEATURES)} is not great.`,
  () => "Honestly it is not comfortable.",
  () => "Shipping was not fast.",
  () => "I would not recommend it.",
  () => "Not reliable in the cold.",
];
const NEGATED_NEGATIVE: Phrase[] = [
  () => "It is not flimsy at all.",
  () => "Never disappointed so far.",
  (r) => `The ${r.pick(FEATURES)} is not noisy.`,
  () => "Setup was not slow.",
];
const NEUTRAL: Phrase[] = [
  (r) => `I bought this for my ${r.pick(RELATIVES)}.`,
  (r) => `It arrived on ${r.pick(["Monday", "Tuesday", "Friday", "Saturday"])}.`,
  (r) => `The box had the ${r.pick(PRODUCTS)} and a manual.`,
  (r) => `I have used it for ${r.int(2, 9)} weeks.`,
  (r) => `The color is ${r.pick(["gray", "navy", "white", "olive"])}.`,
  (r) => `It replaced my old ${r.pick(PRODUCTS)}.`,
  () => "It does what the listing says.",
];

const LABELS = ["positive", "negative", "neutral"] as const;

export const classifySentiment: TaskDef = {
  taskId: "classify-sentiment",
  kind: "classification",
  deterministic: false,
  description: "Label a product review positive, negative or neutral.",
  prompt: {
    description: "Tag marketplace reviews for the weekly quality report.",
    template: "Classify the sentiment of this product review as positive, negative or neutral. " +
      "Mixed reviews whose praise and complaints balance out are neutral. Reply with the label " +
      "only.\n\nReview: {{ input.review }}",
    outputFormat: "text",
    outputSchema: { type: "string", enum: [...LABELS] },
  },
  inputSchema: {
    type: "object",
    properties: {
      product: { type: "string" },
      stars: { type: "integer" },
      review: { type: "string" },
    },
    required: ["product", "review"],
    additionalProperties: false,
  },
  calls: 400,
  medianLatencyMs: 620,
  noiseRate: 0.01,
  repeatShare: 0.2,
  sample(rng) {
    const target = rng.weighted([["positive", 44], ["negative", 33], ["neutral", 23]]);
    const phrases: { text: string; score: number }[] = [];
    const add = (list: Phrase[], score: number) =>
      phrases.push({ text: rng.pick(list)(rng), score });
    const pos = () => rng.chance(0.85) ? add(POSITIVE, 1) : add(NEGATED_NEGATIVE, 1);
    const neg = () => rng.chance(0.8) ? add(NEGATIVE, -1) : add(NEGATED_POSITIVE, -1);
    if (target === "positive") {
      const k = rng.int(1, 3);
      for (let i = 0; i < k; i++) pos();
      if (k >= 2 && rng.chance(0.4)) neg();
    } else if (target === "negative") {
      const k = rng.int(1, 3);
      for (let i = 0; i < k; i++) neg();
      if (k >= 2 && rng.chance(0.4)) pos();
    } else if (rng.chance(0.55)) {
      pos();
      neg();
    }
    const fillers = rng.int(target === "neutral" ? 1 : 0, 2);
    for (let i = 0; i < fillers; i++) phrases.push({ text: rng.pick(NEUTRAL)(rng), score: 0 });
    const ordered = rng.sample(phrases, phrases.length);
    const score = ordered.reduce((s, p) => s + p.score, 0);
    const output = score > 0 ? "positive" : score < 0 ? "negative" : "neutral";
    const stars = output === "positive"
      ? rng.int(4, 5)
      : output === "negative"
      ? rng.int(1, 2)
      : rng.int(2, 4);
    const input: Record<string, unknown> = {
      product: rng.pick(PRODUCTS),
      review: ordered.map((p) => p.text).join(" "),
    };
    if (rng.chance(0.7)) input.stars = stars;
    return { input, output };
  },
  noisy(output, rng) {
    return rng.pick(LABELS.filter((l) => l !== output));
  },
  correct: String
    .raw`const POSITIVE = ["great", "excellent", "love", "perfect", "amazing", "comfortable", "reliable",
  "sturdy", "fast", "recommend", "happy", "solid"];
const NEGATIVE = ["broke", "terrible", "disappointed", "flimsy", "slow", "refund", "awful", "cheap",
  "leaking", "useless", "returned", "noisy"];

export function handle(input) {
  const words = String(input.review).toLowerCase().match(/[a-z]+/g) || [];
  let score = 0;
  for (let i = 0; i < words.length; i++) {
    const value = POSITIVE.includes(words[i]) ? 1 : NEGATIVE.includes(words[i]) ? -1 : 0;
    const negated = words[i - 1] === "not" || words[i - 1] === "never";
    score += negated ? -value : value;
  }
  return score > 0 ? "positive" : score < 0 ? "negative" : "neutral";
}
`,
  correctTests: [
    {
      name: "praise",
      input: { product: "kettle", review: "Shipping was fast. I love the lid." },
      expected: "positive",
    },
    {
      name: "complaint",
      input: { product: "tent", review: "The zipper feels flimsy. I returned it." },
      expected: "negative",
    },
    {
      name: "no opinion",
      input: { product: "lamp", review: "It arrived on Monday." },
      expected: "neutral",
    },
    {
      name: "balanced",
      input: { product: "headset", review: "Excellent build quality. Charging is slow." },
      expected: "neutral",
    },
    {
      name: "negated praise",
      input: { product: "keyboard", review: "I would not recommend it." },
      expected: "negative",
    },
    {
      name: "negated complaint",
      input: { product: "blender", review: "Never disappointed so far." },
      expected: "positive",
    },
  ],
  wrong: [
    {
      label: "wrong-ignores-negation",
      note: "counts keywords but never looks at 'not'/'never'",
      source: String
        .raw`const POSITIVE = new Set(["great", "excellent", "love", "perfect", "amazing", "comfortable",
  "reliable", "sturdy", "fast", "recommend", "happy", "solid"]);
const NEGATIVE = new Set(["broke", "terrible", "disappointed", "flimsy", "slow", "refund", "awful",
  "cheap", "leaking", "useless", "returned", "noisy"]);

export function handle(input) {
  let score = 0;
  for (const word of String(input.review).toLowerCase().split(/[^a-z]+/)) {
    if (POSITIVE.has(word)) score++;
    if (NEGATIVE.has(word)) score--;
  }
  return score > 0 ? "positive" : score < 0 ? "negative" : "neutral";
}
`,
    },
    {
      label: "wrong-no-neutral",
      note: "treats a zero score as positive, so it never answers neutral",
      source: String
        .raw`const POSITIVE = ["great", "excellent", "love", "perfect", "amazing", "comfortable", "reliable",
  "sturdy", "fast", "recommend", "happy", "solid"];
const NEGATIVE = ["broke", "terrible", "disappointed", "flimsy", "slow", "refund", "awful", "cheap",
  "leaking", "useless", "returned", "noisy"];

export function handle(input) {
  const words = String(input.review).toLowerCase().match(/[a-z]+/g) || [];
  let score = 0;
  words.forEach((word, i) => {
    const value = POSITIVE.includes(word) ? 1 : NEGATIVE.includes(word) ? -1 : 0;
    score += words[i - 1] === "not" || words[i - 1] === "never" ? -value : value;
  });
  return score >= 0 ? "positive" : "negative";
}
`,
    },
  ],
};

const QUEUES = ["technical", "billing", "account", "sales"] as const;
type Queue = typeof QUEUES[number];
/** The routing rule's vocabulary; every subject or body phrase below uses exactly one word. */
const KEYWORDS: Record<Queue, string[]> = {
  technical: ["error", "crash", "bug", "timeout", "api", "sync", "upload"],
  billing: ["invoice", "charged", "refund", "payment", "receipt", "overcharged"],
  account: ["password", "username", "profile", "locked", "verification", "deactivate"],
  sales: ["pricing", "quote", "demo", "discount", "seats", "reseller"],
};

/** Per keyword: subjects and body sentences that use it and no other word of the rule. */
const PHRASES: Record<string, { subjects: string[]; body: string[] }> = {
  error: {
    subjects: ["Error when exporting reports", "Getting an error on the dashboard"],
    body: [
      "Every export ends with an error saying the file could not be generated.",
      "The dashboard shows an error after I save a filter.",
    ],
  },
  crash: {
    subjects: ["Desktop app crash on startup", "Crash when opening the calendar"],
    body: [
      "The desktop app has a crash right after the splash screen.",
      "Since the update we see a crash whenever we open the calendar view.",
    ],
  },
  bug: {
    subjects: ["Possible bug in the CSV import", "Bug with date formats"],
    body: [
      "I think there is a bug in how dates are shown after the CSV import.",
      "Looks like a bug: totals on the weekly report are doubled.",
    ],
  },
  timeout: {
    subjects: ["Timeout on the reports page", "Gateway timeout since Monday"],
    body: [
      "The reports page hits a timeout after about thirty seconds.",
      "Our integration gets a gateway timeout on every third request.",
    ],
  },
  api: {
    subjects: ["API returns 500", "Question on API rate limits"],
    body: [
      "Our nightly job calls your API and gets a 500 back since yesterday.",
      "The API documentation does not mention the new rate limits.",
    ],
  },
  sync: {
    subjects: ["Calendar sync stopped", "Contacts do not sync"],
    body: [
      "The calendar sync stopped on all our phones last night.",
      "New contacts do not sync between the web app and the mobile app.",
    ],
  },
  upload: {
    subjects: ["Upload stuck at 99%", "Cannot upload attachments"],
    body: [
      "Every upload larger than 20 MB gets stuck at 99%.",
      "I cannot upload attachments to a task any more.",
    ],
  },
  invoice: {
    subjects: ["Wrong address on our invoice", "Invoice for October missing"],
    body: [
      "The company address on our last invoice is the old one.",
      "We never received the invoice for October.",
    ],
  },
  charged: {
    subjects: ["Charged twice this month", "Why was I charged again?"],
    body: [
      "Our card was charged twice on the 3rd.",
      "I was charged for a plan we cancelled in the summer.",
    ],
  },
  refund: {
    subjects: ["Refund for unused months", "Status of my refund"],
    body: [
      "Could you confirm when the refund for the unused months will arrive?",
      "I was promised a refund two weeks ago and have not seen it.",
    ],
  },
  payment: {
    subjects: ["Payment failed", "Change payment method"],
    body: [
      "The payment failed although the card is valid until 2028.",
      "We would like to switch our payment method to bank transfer.",
    ],
  },
  receipt: {
    subjects: ["Receipt with VAT number", "Need a receipt for expenses"],
    body: [
      "Our finance team needs a receipt that shows our VAT number.",
      "Can you send a receipt for the last renewal?",
    ],
  },
  overcharged: {
    subjects: ["Overcharged on the last renewal", "I think we were overcharged"],
    body: [
      "We were overcharged by about 40 dollars on the last renewal.",
      "It looks like we were overcharged for users that were removed.",
    ],
  },
  password: {
    subjects: ["Password reset link expired", "Cannot change my password"],
    body: [
      "The password reset link says it has expired every time I click it.",
      "The settings page will not let me change my password.",
    ],
  },
  username: {
    subjects: ["Change my username", "Username already taken"],
    body: [
      "I would like to change my username after my name change.",
      "Sign-up says my username is taken, but I never had an account.",
    ],
  },
  profile: {
    subjects: ["Profile photo will not save", "Update company profile"],
    body: [
      "My profile photo goes back to the default one after saving.",
      "Please help us update the company profile with our new name.",
    ],
  },
  locked: {
    subjects: ["Account locked", "Locked out after travelling"],
    body: [
      "My account got locked after a few sign-in attempts from abroad.",
      "Two of our users are locked out since this morning.",
    ],
  },
  verification: {
    subjects: ["Verification code never arrives", "Phone verification fails"],
    body: [
      "The verification code never arrives by SMS.",
      "The phone verification step fails with my new number.",
    ],
  },
  deactivate: {
    subjects: ["Deactivate a former employee", "How do I deactivate my account?"],
    body: [
      "Please deactivate the account of a colleague who left last week.",
      "I would like to deactivate my account until spring.",
    ],
  },
  pricing: {
    subjects: ["Pricing for nonprofits", "Pricing question for a team of 50"],
    body: [
      "Is there special pricing for registered nonprofits?",
      "We are comparing tools and would like your pricing for 50 people.",
    ],
  },
  quote: {
    subjects: ["Quote for 3-year contract", "Request for a quote"],
    body: [
      "Could you prepare a quote for a three-year contract?",
      "Our procurement team needs a formal quote before the end of the month.",
    ],
  },
  demo: {
    subjects: ["Demo for our leadership team", "Book a demo"],
    body: [
      "We would love a demo for our leadership team next week.",
      "Can we book a demo of the reporting features?",
    ],
  },
  discount: {
    subjects: ["Discount for annual billing?", "Education discount"],
    body: [
      "Do you offer a discount if we pay annually?",
      "Is there a discount for universities?",
    ],
  },
  seats: {
    subjects: ["Adding 20 seats", "More seats for the sales team"],
    body: [
      "We want to add 20 seats for the new hires.",
      "How fast can you add more seats to our workspace?",
    ],
  },
  reseller: {
    subjects: ["Reseller partnership", "Becoming a reseller in Poland"],
    body: [
      "We are an IT firm interested in becoming a reseller.",
      "Do you have a reseller programme for Eastern Europe?",
    ],
  },
};
const GREETINGS = ["Hi team,", "Hello,", "Good morning,", "Hi there,"];
const FILLER = [
  "Thanks in advance.",
  "We have been customers for two years.",
  "I tried again after lunch with the same result.",
  "Let me know what you need from me.",
  "Our workspace is called Harbor Ops.",
];
const URGENT_PHRASES = [
  (cap: boolean) => cap ? "URGENT: please respond." : "This is urgent for us.",
  (cap: boolean) => cap ? "Please reply ASAP." : "Please reply asap.",
  (cap: boolean) => cap ? "Outage for all our users." : "We have an outage for all our users.",
  (cap: boolean) => cap ? "Immediately blocking us." : "It blocks us immediately.",
  (cap: boolean) => cap ? "CRITICAL for our launch." : "This is critical for our launch.",
];

export const routeTicket: TaskDef = {
  taskId: "route-ticket",
  kind: "routing",
  deterministic: true,
  description:
    "Route a support ticket to the billing, technical, account or sales queue, with a priority.",
  prompt: {
    description: "Route inbound helpdesk tickets.",
    template: "Route this support ticket to one queue (billing, technical, account, sales) and " +
      "give it a priority (urgent, high, normal, low). The subject weighs more than the body. " +
      "Anything urgent (outage, asap, critical) is urgent; otherwise enterprise customers are " +
      'high, sales enquiries are low and the rest normal. Answer with JSON {"queue": …, ' +
      '"priority": …}.\n\nCustomer tier: {{ input.customerTier }}\nSubject: {{ input.subject }}\n' +
      "{{ input.body }}",
    outputFormat: "json",
    outputSchema: {
      type: "object",
      properties: {
        queue: { type: "string", enum: [...QUEUES] },
        priority: { type: "string", enum: ["urgent", "high", "normal", "low"] },
      },
      required: ["queue", "priority"],
      additionalProperties: false,
    },
  },
  inputSchema: {
    type: "object",
    properties: {
      subject: { type: "string" },
      body: { type: "string" },
      customerTier: { type: "string", enum: ["free", "pro", "enterprise"] },
    },
    required: ["subject", "body", "customerTier"],
    additionalProperties: false,
  },
  calls: 360,
  medianLatencyMs: 1100,
  sample(rng) {
    const queue = rng.weighted<Queue>([["technical", 35], ["billing", 28], ["account", 22], [
      "sales",
      15,
    ]]);
    const customerTier = rng.weighted([["free", 50], ["pro", 35], ["enterprise", 15]]);
    const keyword = rng.pick(KEYWORDS[queue]);
    const subject = rng.pick(PHRASES[keyword].subjects);
    const body: string[] = [];
    const topic = [keyword, ...rng.sample(KEYWORDS[queue].filter((k) => k !== keyword), 1)]
      .slice(0, rng.int(1, 2));
    for (const k of rng.sample(topic, topic.length)) body.push(rng.pick(PHRASES[k].body));
    if (rng.chance(0.35)) {
      const other = rng.pick(QUEUES.filter((q) => q !== queue));
      const line = rng.pick(PHRASES[rng.pick(KEYWORDS[other])].body);
      body.splice(rng.chance(0.5) ? 0 : body.length, 0, line);
    }
    const greeting = rng.chance(0.3) ? rng.pick(GREETINGS) + "\n\n" : "";
    const urgent = rng.chance(0.25);
    if (urgent) body.push(rng.pick(URGENT_PHRASES)(rng.chance(0.75)));
    if (rng.chance(0.6)) body.push(rng.pick(FILLER));
    const priority = urgent
      ? "urgent"
      : customerTier === "enterprise"
      ? "high"
      : queue === "sales"
      ? "low"
      : "normal";
    return {
      input: { subject, body: greeting + body.join(" "), customerTier },
      output: { queue, priority },
    };
  },
  correct: String.raw`const KEYWORDS = {
  technical: ["error", "crash", "bug", "timeout", "api", "sync", "upload"],
  billing: ["invoice", "charged", "refund", "payment", "receipt", "overcharged"],
  account: ["password", "username", "profile", "locked", "verification", "deactivate"],
  sales: ["pricing", "quote", "demo", "discount", "seats", "reseller"],
};
const URGENT = ["urgent", "asap", "outage", "immediately", "critical"];

function words(text) {
  return String(text).toLowerCase().match(/[a-z0-9]+/g) || [];
}

export function handle(input) {
  const subject = words(input.subject);
  const body = words(input.body);
  let queue = "technical";
  let best = -1;
  for (const name of ["technical", "billing", "account", "sales"]) {
    const hits = (list) => list.filter((w) => KEYWORDS[name].includes(w)).length;
    const score = 2 * hits(subject) + hits(body);
    if (score > best) {
      best = score;
      queue = name;
    }
  }
  const urgent = subject.concat(body).some((w) => URGENT.includes(w));
  const priority = urgent
    ? "urgent"
    : input.customerTier === "enterprise"
    ? "high"
    : queue === "sales"
    ? "low"
    : "normal";
  return { queue, priority };
}
`,
  correctTests: [
    {
      name: "billing",
      input: {
        subject: "Question about invoice",
        body: "Could you look at the payment from last month?",
        customerTier: "pro",
      },
      expected: { queue: "billing", priority: "normal" },
    },
    {
      name: "subject outweighs a stray body keyword",
      input: {
        subject: "Problem with sync",
        body: "Something looks off with the receipt we got. The app shows a crash every time.",
        customerTier: "free",
      },
      expected: { queue: "technical", priority: "normal" },
    },
    {
      name: "enterprise is high",
      input: {
        subject: "Re: password",
        body: "I cannot get past the verification step.",
        customerTier: "enterprise",
      },
      expected: { queue: "account", priority: "high" },
    },
    {
      name: "sales is low",
      input: {
        subject: "Question about pricing",
        body: "Can someone send us details on seats?",
        customerTier: "free",
      },
      expected: { queue: "sales", priority: "low" },
    },
    {
      name: "urgent wins, any case",
      input: { subject: "Bug issue", body: "URGENT: please respond.", customerTier: "enterprise" },
      expected: { queue: "technical", priority: "urgent" },
    },
  ],
  wrong: [
    {
      label: "wrong-first-keyword",
      note: "routes by the first keyword of the body and ignores the subject",
      source: String.raw`const KEYWORDS = {
  technical: ["error", "crash", "bug", "timeout", "api", "sync", "upload"],
  billing: ["invoice", "charged", "refund", "payment", "receipt", "overcharged"],
  account: ["password", "username", "profile", "locked", "verification", "deactivate"],
  sales: ["pricing", "quote", "demo", "discount", "seats", "reseller"],
};
const URGENT = ["urgent", "asap", "outage", "immediately", "critical"];

export function handle(input) {
  const body = String(input.body).toLowerCase().match(/[a-z0-9]+/g) || [];
  let queue = "technical";
  for (const word of body) {
    const hit = Object.keys(KEYWORDS).find((name) => KEYWORDS[name].includes(word));
    if (hit) {
      queue = hit;
      break;
    }
  }
  const all = (String(input.subject) + " " + String(input.body)).toLowerCase();
  const urgent = URGENT.some((w) => all.includes(w));
  let priority = "normal";
  if (urgent) priority = "urgent";
  else if (input.customerTier === "enterprise") priority = "high";
  else if (queue === "sales") priority = "low";
  return { queue, priority };
}
`,
    },
    {
      label: "wrong-urgent-case-sensitive",
      note: "matches the urgency words against the raw text, so URGENT / ASAP / Outage are missed",
      source: String.raw`const KEYWORDS = {
  technical: ["error", "crash", "bug", "timeout", "api", "sync", "upload"],
  billing: ["invoice", "charged", "refund", "payment", "receipt", "overcharged"],
  account: ["password", "username", "profile", "locked", "verification", "deactivate"],
  sales: ["pricing", "quote", "demo", "discount", "seats", "reseller"],
};
const URGENT = /\b(urgent|asap|outage|immediately|critical)\b/;

export function handle(input) {
  const subject = String(input.subject).toLowerCase().match(/[a-z0-9]+/g) || [];
  const body = String(input.body).toLowerCase().match(/[a-z0-9]+/g) || [];
  const scores = Object.keys(KEYWORDS).map((name) => ({
    name,
    score: 2 * subject.filter((w) => KEYWORDS[name].includes(w)).length +
      body.filter((w) => KEYWORDS[name].includes(w)).length,
  }));
  scores.sort((a, b) => b.score - a.score);
  const queue = scores[0].name;
  const urgent = URGENT.test(input.subject + " " + input.body);
  const priority = urgent
    ? "urgent"
    : input.customerTier === "enterprise"
    ? "high"
    : queue === "sales"
    ? "low"
    : "normal";
  return { queue, priority };
}
`,
    },
  ],
};
