/** A JSON pointer segment (RFC 6901). */
const seg = (key: string | number) => `/${String(key).replaceAll("~", "~0").replaceAll("/", "~1")}`;

const show = (value: unknown) => {
  const text = JSON.stringify(value) ?? "undefined";
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
};

/** An expected field the answer lacks. */
const MISSING = Symbol("missing");

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Where `actual` differs from `expected`, one line per JSON pointer. With `subset`, an expected
 * object's fields must be in the actual one (extra fields are fine); arrays always match element
 * by element and in length. Iterative, so a deep answer cannot overflow the stack.
 */
export function differences(expected: unknown, actual: unknown, subset: boolean): string[] {
  const out: string[] = [];
  const stack: [string, unknown, unknown][] = [["", expected, actual]];
  while (stack.length > 0 && out.length < 50) {
    const [at, want, got] = stack.pop()!;
    const where = at || "(body)";
    if (got === MISSING) {
      out.push(`${where}: expected ${show(want)}, missing`);
    } else if (isObject(want)) {
      if (!isObject(got)) {
        out.push(`${where}: expected an object ${show(want)}, got ${show(got)}`);
        continue;
      }
      for (const key of Object.keys(got)) {
        if (!subset && !Object.hasOwn(want, key)) {
          out.push(`${at}${seg(key)}: unexpected, got ${show(got[key])}`);
        }
      }
      for (const key of Object.keys(want).reverse()) {
        stack.push([`${at}${seg(key)}`, want[key], Object.hasOwn(got, key) ? got[key] : MISSING]);
      }
    } else if (Array.isArray(want)) {
      if (!Array.isArray(got) || got.length !== want.length) {
        out.push(`${where}: expected ${show(want)}, got ${show(got)}`);
        continue;
      }
      for (let i = want.length - 1; i >= 0; i--) stack.push([`${at}${seg(i)}`, want[i], got[i]]);
    } else if (!Object.is(want, got) && !(want === 0 && got === 0)) {
      out.push(`${where}: expected ${show(want)}, got ${show(got)}`);
    }
  }
  return out;
}
