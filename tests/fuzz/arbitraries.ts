/**
 * fast-check arbitraries for hostile input.
 *
 * Payloads are generated from each event's own zod schema (through its JSON
 * Schema), so a new event or field is fuzzed without anyone touching this
 * file: most values are valid-looking, and at every node there is a chance of
 * a hostile replacement (wrong type, huge or odd unicode string, deep nesting,
 * prototype keys, binary), a dropped required key or an extra key. Ids are
 * often drawn from a pool of real ids that belong to someone else.
 */
import fc from 'fast-check';
import { z } from 'zod';

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

/** The request schema as JSON Schema (input side); `{}` (anything) when it cannot be expressed. */
export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  try {
    return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  } catch {
    return {};
  }
}

/** Real identifiers the fuzzer should try in id-shaped fields: other users', other calls'. */
export interface IdPools {
  ids: string[];
  usernames: string[];
}

const ID_PATTERN = '^[A-Za-z0-9_-]+$';

/** Keys that have bitten JavaScript servers: prototype pollution and identity spoofing. */
export const DANGEROUS_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'caller',
  'callerId',
  'callerDeviceId',
  'from',
  'userId',
  'deviceId',
  'user',
  'admin',
  'role',
  'state',
  'version',
] as const;

export const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83d',
  '\udc00\ud800',
  '\u202eevil.exe',
  '\u200f\u05e9\u05dc\u05d5\u05dd',
  '\u0645\u0631\u062d\u0628\u0627',
  '\u200b',
  '\ufeff',
  '\u2028\u2029',
  '\u0085',
  '\u00e9',
  'e\u0301\u0301\u0301',
  '\u260e\ufe0f\ud83d\udcde',
  '\ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67',
  '%',
  '_',
  '%_%',
  '\\',
  "' OR 1=1 --",
  '"; DROP TABLE users; --',
  '../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '${7*7}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e309',
  '%s%s%s%n',
  '\n\r\t\v\f',
] as const;

const NASTY_NUMBERS = [NaN, Infinity, -Infinity, -0, -1, 0, 0.5, 2 ** 31, 2 ** 53, -(2 ** 53), 1e308, Number.MIN_VALUE];

/** An object that owns `key` (even `__proto__`, which plain assignment would not create). */
export function withOwnKey(base: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  Object.defineProperty(out, key, { value, enumerable: true, configurable: true, writable: true });
  return out;
}

export function deepNest(depth: number, asArray: boolean): unknown {
  let v: unknown = asArray ? [] : {};
  for (let i = 0; i < depth; i++) v = asArray ? [v] : { a: v };
  return v;
}

export interface HostileOptions {
  /** Largest string the generator makes; huge ones are sent on a throw-away connection. */
  maxHugeString: number;
  maxDepth: number;
}

const smallJson: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 2 });

/** Anything a malicious client could put where a value belongs. */
export function hostileValue(opts: HostileOptions): fc.Arbitrary<unknown> {
  const nastyString = fc.constantFrom(...NASTY_STRINGS);
  const unicode = fc.string({ unit: 'binary', maxLength: 48 });
  const huge = fc
    .tuple(fc.integer({ min: 1_000, max: opts.maxHugeString }), fc.constantFrom('A', '\u00e9', '\ud800', '\u202e', '\u0000', '\ud83d\udcde'))
    .map(([n, unit]) => unit.repeat(Math.max(1, Math.floor(n / unit.length))));
  const nested = fc
    .tuple(fc.integer({ min: 20, max: opts.maxDepth }), fc.boolean())
    .map(([depth, asArray]) => deepNest(depth, asArray));
  const dangerous = fc
    .tuple(fc.constantFrom(...DANGEROUS_KEYS), smallJson)
    .map(([key, value]) => withOwnKey({}, key, value));
  const polluted = fc.constant(JSON.parse('{"__proto__":{"admin":true,"polluted":1},"constructor":{"prototype":{"polluted":1}}}') as unknown);
  const binary = fc.uint8Array({ maxLength: 2_048 }).map((a) => Buffer.from(a));
  const bigArray = fc.integer({ min: 600, max: 20_000 }).map((n) => new Array<number>(n).fill(0));
  return fc.oneof(
    { weight: 4, arbitrary: nastyString },
    { weight: 3, arbitrary: unicode },
    { weight: 3, arbitrary: fc.constantFrom<unknown>(...NASTY_NUMBERS, true, false, null, undefined, [], {}) },
    { weight: 1, arbitrary: huge },
    { weight: 2, arbitrary: nested },
    { weight: 2, arbitrary: dangerous },
    { weight: 1, arbitrary: polluted },
    { weight: 2, arbitrary: binary },
    { weight: 1, arbitrary: bigArray },
    { weight: 3, arbitrary: smallJson },
  );
}

export interface GuideContext {
  pools: IdPools;
  hostile: fc.Arbitrary<unknown>;
  /** Weight of the valid branch against 1 for a hostile replacement at each node. */
  validWeight: number;
}

type Mutation = { kind: 'none' } | { kind: 'drop'; index: number } | { kind: 'extra'; key: string; value: unknown };

/** Valid-looking values for `s`, with hostile replacements mixed in at every node. */
export function guided(s: JsonSchema, ctx: GuideContext, depth = 0): fc.Arbitrary<unknown> {
  const valid = validOf(s, ctx, depth);
  if (depth > 6) return valid;
  return fc.oneof({ weight: ctx.validWeight, arbitrary: valid }, { weight: 1, arbitrary: ctx.hostile });
}

function clampInt(n: number | undefined, fallback: number): number {
  if (n === undefined || !Number.isFinite(n)) return fallback;
  return Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.trunc(n)));
}

function validOf(s: JsonSchema, ctx: GuideContext, depth: number): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum && s.enum.length > 0) return fc.constantFrom(...s.enum);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives && alternatives.length > 0) return fc.oneof(...alternatives.map((a) => guided(a, ctx, depth + 1)));
  if (s.allOf && s.allOf.length > 0) return guided(Object.assign({}, ...s.allOf) as JsonSchema, ctx, depth + 1);
  const type = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  if (type.length > 1) return fc.oneof(...type.map((t) => validOf({ ...s, type: t }, ctx, depth)));
  switch (type[0]) {
    case 'object':
      return objectOf(s, ctx, depth);
    case 'string':
      return stringOf(s, ctx);
    case 'integer':
    case 'number': {
      const min = clampInt(s.minimum ?? s.exclusiveMinimum, -(2 ** 31));
      const max = clampInt(s.maximum ?? s.exclusiveMaximum, 2 ** 31 - 1);
      const edges = [s.minimum, s.maximum, (s.minimum ?? 0) - 1, (s.maximum ?? 0) + 1, Date.now()].filter(
        (x): x is number => typeof x === 'number',
      );
      return fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min, max: Math.max(min, max) }) },
        { weight: 1, arbitrary: fc.constantFrom(...edges) },
        { weight: 1, arbitrary: fc.double({ noNaN: false }) },
      );
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const item = s.items ? guided(s.items, ctx, depth + 1) : ctx.hostile;
      const min = s.minItems ?? 0;
      const max = Math.max(min, Math.min(s.maxItems ?? 8, 8));
      const over = s.maxItems !== undefined ? s.maxItems + 1 : undefined;
      const arbs: fc.WeightedArbitrary<unknown[]>[] = [{ weight: 8, arbitrary: fc.array(item, { minLength: min, maxLength: max }) }];
      if (over !== undefined && over <= 2_000) {
        // One past the limit, made of valid items.
        const one = s.items ? validOf(s.items, ctx, depth + 1) : fc.constant(0);
        arbs.push({ weight: 1, arbitrary: one.map((v) => new Array<unknown>(over).fill(v)) });
      }
      return fc.oneof(...arbs);
    }
    default:
      return ctx.hostile;
  }
}

function stringOf(s: JsonSchema, ctx: GuideContext): fc.Arbitrary<string> {
  const min = s.minLength ?? 0;
  const max = s.maxLength ?? 256;
  const cap = Math.min(max, 256);
  const arbs: fc.WeightedArbitrary<string>[] = [];
  if (s.pattern) {
    let re: RegExp | undefined;
    try {
      re = new RegExp(s.pattern);
    } catch {
      re = undefined;
    }
    if (re) arbs.push({ weight: 6, arbitrary: fc.stringMatching(re).map((x) => x.slice(0, max)) });
    if (s.pattern === ID_PATTERN && ctx.pools.ids.length > 0) {
      arbs.push({ weight: 8, arbitrary: fc.constantFrom(...ctx.pools.ids) });
    }
    if (re?.test('alice') && !re.test('A') && ctx.pools.usernames.length > 0) {
      arbs.push({ weight: 6, arbitrary: fc.constantFrom(...ctx.pools.usernames) });
    }
  } else {
    arbs.push({ weight: 4, arbitrary: fc.string({ minLength: Math.min(min, cap), maxLength: cap }) });
    arbs.push({ weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: cap }) });
    if (ctx.pools.usernames.length > 0) arbs.push({ weight: 1, arbitrary: fc.constantFrom(...ctx.pools.usernames) });
  }
  // At and one past the declared length limits.
  const edges = [max, max + 1, Math.max(0, min - 1)].filter((n) => n <= 40_000);
  arbs.push({ weight: 1, arbitrary: fc.constantFrom(...edges).map((n) => 'a'.repeat(n)) });
  return fc.oneof(...arbs);
}

function objectOf(s: JsonSchema, ctx: GuideContext, depth: number): fc.Arbitrary<unknown> {
  const props = Object.entries(s.properties ?? {});
  const required = s.required ?? [];
  const model = Object.fromEntries(props.map(([k, v]) => [k, guided(v, ctx, depth + 1)]));
  const record = fc.record(model, { requiredKeys: required.filter((k) => k in model) });
  const extraKey = fc.oneof(fc.constantFrom<string>(...DANGEROUS_KEYS), fc.string({ maxLength: 12 }));
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    { weight: 14, arbitrary: fc.constant<Mutation>({ kind: 'none' }) },
    { weight: 1, arbitrary: fc.nat().map<Mutation>((index) => ({ kind: 'drop', index })) },
    {
      weight: 1,
      arbitrary: fc.tuple(extraKey, fc.oneof(smallJson, ctx.hostile)).map<Mutation>(([key, value]) => ({ kind: 'extra', key, value })),
    },
  );
  return fc.tuple(record, mutation).map(([obj, m]) => {
    const out: Record<string, unknown> = { ...(obj as Record<string, unknown>) };
    if (m.kind === 'drop' && required.length > 0) delete out[required[m.index % required.length]!];
    if (m.kind === 'extra') return withOwnKey(out, m.key, m.value);
    return out;
  });
}

/**
 * What the server receives for `args`. Without binary: JSON (undefined dropped
 * or null in arrays, NaN/Infinity → null, -0 → 0, own `__proto__` keys kept
 * as own keys by JSON.parse). With a Buffer anywhere, socket.io sends a binary
 * packet: the client copies every object key by assignment (socket.io-parser
 * `deconstructPacket`) and the server does the same when it puts the buffers
 * back (`reconstructPacket`), so an own `__proto__` key becomes the object's
 * prototype, or vanishes, instead of arriving as a key. Mirrored here exactly.
 */
export function onTheWire(args: unknown[]): unknown[] {
  if (!hasBinary(args)) return JSON.parse(JSON.stringify(args)) as unknown[];
  const buffers: Buffer[] = [];
  const text = JSON.stringify(deconstruct(args, buffers));
  return reconstruct(JSON.parse(text), buffers) as unknown[];
}

function hasBinary(v: unknown, depth = 0): boolean {
  if (depth > 5_000 || !v || typeof v !== 'object') return false;
  if (Buffer.isBuffer(v)) return true;
  if (Array.isArray(v)) return v.some((x) => hasBinary(x, depth + 1));
  return Object.keys(v).some((k) => hasBinary((v as Record<string, unknown>)[k], depth + 1));
}

function deconstruct(data: unknown, buffers: Buffer[]): unknown {
  if (!data) return data;
  if (Buffer.isBuffer(data)) {
    buffers.push(data);
    return { _placeholder: true, num: buffers.length - 1 };
  }
  if (Array.isArray(data)) return data.map((x) => deconstruct(x, buffers));
  if (typeof data === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(data)) out[key] = deconstruct((data as Record<string, unknown>)[key], buffers);
    return out;
  }
  return data;
}

function reconstruct(data: unknown, buffers: Buffer[]): unknown {
  if (!data) return data;
  const d = data as Record<string, unknown>;
  if (d._placeholder === true && typeof d.num === 'number' && d.num >= 0 && d.num < buffers.length) return buffers[d.num];
  if (Array.isArray(data)) {
    for (let i = 0; i < data.length; i++) data[i] = reconstruct(data[i], buffers);
  } else if (typeof data === 'object') {
    for (const key of Object.keys(d)) d[key] = reconstruct(d[key], buffers);
  }
  return data;
}

/** Size of the socket.io text frame for `args` plus the largest binary attachment. */
export function wireSize(event: string | number, args: unknown[]): { text: number; largestBinary: number } {
  let largestBinary = 0;
  const text = JSON.stringify([event, ...args], function (this: unknown, key: string, value: unknown) {
    const original = (this as Record<string, unknown>)[key];
    if (Buffer.isBuffer(original)) {
      largestBinary = Math.max(largestBinary, original.length);
      return { _placeholder: true, num: 0 };
    }
    return value;
  });
  return { text: Buffer.byteLength(text ?? '', 'utf8'), largestBinary };
}
