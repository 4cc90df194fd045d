/**
 * The README's settings table is what operators read; the zod schema is what
 * the server enforces. This keeps them from drifting: every setting has a row,
 * and every numeric range and default in the table is the one the schema uses.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigSchema, ENV_NAMES, type Config } from '../../src/server/config.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

function row(envName: string): string[] | undefined {
  const line = readme.split('\n').find((l) => l.startsWith(`| \`${envName}\` |`));
  return line?.split('|').slice(1, -1).map((cell) => cell.trim());
}

/** The number schema under `.default()`/`.optional()`, if the setting is a number. */
function numberSchema(key: keyof Config): { min: number | null; max: number | null; def: unknown } | null {
  let schema: z.ZodType = ConfigSchema.shape[key];
  let def: unknown;
  for (;;) {
    if (schema instanceof z.ZodDefault) {
      def = schema.def.defaultValue;
      schema = schema.unwrap() as z.ZodType;
    } else if (schema instanceof z.ZodOptional) {
      schema = schema.unwrap() as z.ZodType;
    } else break;
  }
  if (!(schema instanceof z.ZodNumber)) return null;
  return { min: schema.minValue, max: schema.maxValue, def };
}

describe('README settings table', () => {
  const keys = Object.keys(ENV_NAMES) as (keyof Config)[];

  it.each(keys)('documents %s', (key) => {
    expect(row(ENV_NAMES[key]), `README.md has no row for ${ENV_NAMES[key]}`).toBeDefined();
  });

  const numeric = keys.filter((k) => numberSchema(k) !== null);
  it('covers the numeric settings', () => {
    expect(numeric.length).toBeGreaterThan(15);
  });

  it.each(numeric)('gives the range and default %s enforces', (key) => {
    const cells = row(ENV_NAMES[key]);
    const spec = numberSchema(key)!;
    // | variable | flag | default | allowed | meaning |
    const [, , defaultCell, allowedCell] = cells ?? [];
    expect(allowedCell).toBe(`${spec.min}…${spec.max}`);
    if (typeof spec.def === 'number') expect(defaultCell).toBe(`\`${spec.def}\``);
  });
});
