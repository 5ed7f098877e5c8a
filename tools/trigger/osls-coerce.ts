/**
 * Type coercion as osls applies it while validating serverless.yml: AJV with
 * `coerceTypes: 'array'` (osls lib/classes/config-schema-handler/resolve-ajv-validate.js), which
 * rewrites the configuration in place before packaging. So `batchSize: ${env:BATCH}` (a string
 * once resolved) deploys as the number, and the emulator must read it the same way: coerce what
 * AJV coerces, leave the rest for the validators to reject as osls does.
 *
 * AJV's rules (ajv lib/compile/validate/dataType.ts, `coerceData`), for the types osls's schemas
 * give the settings the emulator reads:
 * - number: a boolean (true 1, false 0), null (0), or a non-empty string `s` with `s == +s`
 *   (so `" 309 "`, `"1e3"` and `"0x10"` are numbers, `"abc"` and `""` are not);
 * - integer: as number, and the result must be whole;
 * - boolean: `"true"`/`"false"`, 1/0, null (false);
 * - string: a number or boolean as text, null as "";
 * - `'array'` mode: a one-element array stands for its element where a scalar is expected.
 */
export type OslsType = 'number' | 'integer' | 'boolean' | 'string';

export function coerceLikeOsls(value: unknown, type: OslsType): unknown {
  let data = value;
  if (Array.isArray(data) && data.length === 1) data = data[0];
  switch (type) {
    case 'number':
    case 'integer': {
      if (typeof data === 'number') return data;
      // AJV tests `s == +s`, which for a string is: `Number(s)` is not NaN.
      const numeric =
        typeof data === 'boolean' ||
        data === null ||
        (typeof data === 'string' && data !== '' && !Number.isNaN(Number(data)));
      if (!numeric) return value;
      const coerced = Number(data);
      return type === 'integer' && coerced % 1 !== 0 ? value : coerced;
    }
    case 'boolean':
      if (typeof data === 'boolean') return data;
      if (data === 'false' || data === 0 || data === null) return false;
      if (data === 'true' || data === 1) return true;
      return value;
    case 'string':
      if (typeof data === 'string') return data;
      if (typeof data === 'number' || typeof data === 'boolean') return String(data);
      if (data === null) return '';
      return value;
  }
}

/** The schema types of the `msk` and `kafka` event keys the emulator reads (osls's event schemas). */
export const KAFKA_EVENT_TYPES: Record<string, OslsType> = {
  batchSize: 'number',
  maximumBatchingWindow: 'number',
  enabled: 'boolean',
  startingPosition: 'string',
  startingPositionTimestamp: 'number',
  topic: 'string',
  consumerGroupId: 'string',
};

/** A copy of `body` with the keys of `types` coerced (keys absent stay absent). */
export function coerceKeys(
  body: Record<string, unknown>,
  types: Record<string, OslsType>,
): Record<string, unknown> {
  const out = { ...body };
  for (const [key, type] of Object.entries(types)) {
    if (key in out && out[key] !== undefined) out[key] = coerceLikeOsls(out[key], type);
  }
  return out;
}
