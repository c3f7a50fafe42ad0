import { RouteDefinitionError } from './errors.js';
import type { JsonSchema } from './openapi.js';
import type { UploadedFile } from './uploads.js';

/**
 * The part of JSON Schema that request parameters and body fields are checked against. A
 * route declaring any other keyword is refused when it is registered: what the document says
 * about an input is always what the service enforces.
 */
const ENFORCED = new Set([
  'type',
  'enum',
  'default',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'items',
]);
/** Keywords that only describe. */
const ANNOTATIONS = new Set(['description', 'title', 'example', 'examples', 'deprecated']);
const TYPES = new Set(['string', 'integer', 'number', 'boolean', 'array', 'object']);
const FORMATS = new Set(['date-time', 'binary']);

/** Where an input value came from; `form` covers URL-encoded and multipart bodies. */
export type InputSource = 'query' | 'path' | 'form' | 'json';

/** Why an input was refused. */
export interface InputProblem {
  in: InputSource;
  /** The parameter or body field. */
  name: string;
  /** `missing`: required and absent; `repeated`: given several times; `invalid`: see `expected`. */
  problem: 'missing' | 'repeated' | 'invalid';
  /** What the value should be, as the end of a sentence: `must be an integer from 0 to 10`. */
  expected: string;
  /** The value as given (shortened), when showing it helps. */
  value?: string;
  /** How many times it was given (`repeated`). */
  count?: number;
  /** The field's declared schema. */
  schema: JsonSchema;
}

/** An API's wording of input problems; undefined: service-kit's default. */
export type ProblemDescriber = (problem: InputProblem) => string | undefined;

const SUBJECTS: Record<InputSource, string> = {
  query: 'Query parameter',
  path: 'Path parameter',
  form: 'Form field',
  json: 'Field',
};

/** `Query parameter "limit" must be an integer from 0 to 100, not "x"`. */
export function defaultProblemMessage(problem: InputProblem): string {
  const subject = `${SUBJECTS[problem.in]} "${problem.name}"`;
  if (problem.problem === 'missing') return `${subject} is required`;
  if (problem.problem === 'repeated')
    return `${subject} is given ${problem.count ?? 2} times: give it once`;
  return `${subject} ${problem.expected}${problem.value === undefined ? '' : `, not ${JSON.stringify(problem.value)}`}`;
}

/** Refuses, at registration, an input schema that uses what the checks below do not enforce. */
export function checkInputSchema(schema: JsonSchema, where: string, item = false): void {
  for (const [keyword, value] of Object.entries(schema)) {
    if (ANNOTATIONS.has(keyword) || keyword.startsWith('x-')) continue;
    if (!ENFORCED.has(keyword) || (item && keyword === 'items')) {
      throw new RouteDefinitionError(
        `${where}: "${keyword}" is not a keyword service-kit enforces on inputs (it knows ${[...ENFORCED].join(', ')})`,
      );
    }
    if (keyword === 'type' && !(typeof value === 'string' && TYPES.has(value))) {
      throw new RouteDefinitionError(`${where}: type must be one of ${[...TYPES].join(', ')}`);
    }
    if (keyword === 'format' && !(typeof value === 'string' && FORMATS.has(value))) {
      throw new RouteDefinitionError(`${where}: format must be date-time or binary`);
    }
    if (keyword === 'enum' && !(Array.isArray(value) && value.length > 0)) {
      throw new RouteDefinitionError(`${where}: enum must list values`);
    }
    if (keyword === 'pattern') new RegExp(String(value), 'u');
  }
  if (schema.type === 'array') {
    if (typeof schema.items !== 'object' || schema.items === null)
      throw new RouteDefinitionError(`${where}: an array needs items`);
    checkInputSchema(schema.items as JsonSchema, `${where} items`, true);
  }
  if (schema.default !== undefined) {
    const read = readValue(schema, schema.default, 'json');
    if ('expected' in read)
      throw new RouteDefinitionError(`${where}: the default ${read.expected}`);
  }
}

/** Refuses a request body schema the body check cannot enforce: an object of checked fields. */
export function checkBodySchema(schema: JsonSchema, where: string): void {
  for (const keyword of Object.keys(schema)) {
    if (
      !['type', 'properties', 'required'].includes(keyword) &&
      !ANNOTATIONS.has(keyword) &&
      !keyword.startsWith('x-')
    ) {
      throw new RouteDefinitionError(
        `${where}: "${keyword}" is not a keyword service-kit enforces on request bodies`,
      );
    }
  }
  if (schema.type !== 'object')
    throw new RouteDefinitionError(`${where}: a request body schema is an object`);
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  for (const [name, property] of Object.entries(properties)) {
    checkInputSchema(property, `${where} field "${name}"`);
  }
  for (const name of (schema.required ?? []) as unknown[]) {
    if (typeof name !== 'string' || !(name in properties))
      throw new RouteDefinitionError(`${where}: required field "${String(name)}" is not described`);
  }
}

export type ReadResult = { value: unknown } | { expected: string; value?: string };

const INTEGER = /^-?\d+$/;
// Decimal notation only: `Number()` alone would also take `0x1`, `Infinity` and blanks.
const NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
// As configuration values read them.
const BOOLEANS: Record<string, boolean> = {
  true: true,
  false: false,
  '1': true,
  '0': false,
  yes: true,
  no: false,
  on: true,
  off: false,
};
// RFC 3339 dates and date-times (seconds, fractions and the offset optional).
const DATE_TIME =
  /^\d{4}-\d\d-\d\d(?:[Tt ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:[Zz]|[+-]\d\d:?\d\d)?)?$/;

/**
 * Reads one value against its schema. Text (query, path, forms, JSON strings) is converted to
 * the schema's type; a JSON number or boolean counts as its text, so `10` and `"10"` are the
 * same integer. Arrays come from repeated query parameters or JSON.
 */
export function readValue(schema: JsonSchema, raw: unknown, source: InputSource): ReadResult {
  if (schema.type === 'array') {
    if (!Array.isArray(raw)) return readValue(schema, [raw], source);
    const items: unknown[] = [];
    for (const item of raw) {
      const read = readValue(schema.items as JsonSchema, item, source);
      if ('expected' in read) return read;
      items.push(read.value);
    }
    return { value: items };
  }
  if (schema.type === 'object') {
    return raw !== null && typeof raw === 'object' && !Array.isArray(raw)
      ? { value: raw }
      : { expected: 'must be a JSON object' };
  }
  if (schema.format === 'binary') return { expected: 'must be a file' };
  if (schema.type === undefined && schema.enum === undefined) return { value: raw };
  if (typeof raw === 'number' || typeof raw === 'boolean') raw = String(raw);
  if (typeof raw !== 'string') return { expected: expectation(schema) };
  const converted = convert(schema, raw);
  if (converted === undefined) return { expected: expectation(schema), value: shorten(raw) };
  if ('expected' in converted) return converted;
  const { value } = converted;
  if (Array.isArray(schema.enum) && !schema.enum.some((option) => sameValue(option, value, raw)))
    return { expected: expectation(schema), value: shorten(raw as string) };
  return converted;
}

/** The value of `text` in the schema's type, a length problem, or undefined when it is not one. */
function convert(schema: JsonSchema, text: string): ReadResult | undefined {
  const min = typeof schema.minimum === 'number' ? schema.minimum : undefined;
  const max = typeof schema.maximum === 'number' ? schema.maximum : undefined;
  switch (schema.type) {
    case 'integer': {
      const [low, high] = integerRange(schema);
      const value = Number(text);
      return INTEGER.test(text) && value >= low && value <= high ? { value } : undefined;
    }
    case 'number': {
      const value = Number(text);
      return NUMBER.test(text) &&
        Number.isFinite(value) &&
        value >= (min ?? -Infinity) &&
        value <= (max ?? Infinity)
        ? { value }
        : undefined;
    }
    case 'boolean': {
      const value = BOOLEANS[text.toLowerCase()];
      return value === undefined ? undefined : { value };
    }
    default:
      return readText(schema, text);
  }
}

function readText(schema: JsonSchema, text: string): ReadResult | undefined {
  if (typeof schema.maxLength === 'number' && text.length > schema.maxLength)
    return { expected: `is longer than ${schema.maxLength} characters` };
  if (typeof schema.minLength === 'number' && text.length < schema.minLength)
    return { expected: `is shorter than ${schema.minLength} characters` };
  if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(text))
    return { expected: `must match ${schema.pattern}`, value: shorten(text) };
  if (schema.format === 'date-time') {
    const time = DATE_TIME.test(text) ? Date.parse(text) : NaN;
    return Number.isNaN(time) ? undefined : { value: new Date(time) };
  }
  return { value: text };
}

/** What a value of this schema looks like: the end of `X must be ...`. */
function expectation(schema: JsonSchema): string {
  if (Array.isArray(schema.enum)) return `must be one of ${schema.enum.map(String).join(', ')}`;
  const min = typeof schema.minimum === 'number' ? schema.minimum : undefined;
  const max = typeof schema.maximum === 'number' ? schema.maximum : undefined;
  switch (schema.type) {
    case 'integer': {
      const [low, high] = integerRange(schema);
      return `must be an integer from ${low} to ${high}`;
    }
    case 'number':
      return `must be a number${rangeText(min, max)}`;
    case 'boolean':
      return 'must be true or false';
    default:
      return schema.format === 'date-time'
        ? 'must be an ISO 8601 date or date-time'
        : 'must be text';
  }
}

/** Beyond the safe integers a value is no longer exact, nor storable in an SQLite integer. */
function integerRange(schema: JsonSchema): [number, number] {
  const min = typeof schema.minimum === 'number' ? schema.minimum : -Number.MAX_SAFE_INTEGER;
  const max = typeof schema.maximum === 'number' ? schema.maximum : Number.MAX_SAFE_INTEGER;
  return [Math.max(min, -Number.MAX_SAFE_INTEGER), Math.min(max, Number.MAX_SAFE_INTEGER)];
}

function sameValue(option: unknown, value: unknown, raw: unknown): boolean {
  return option === value || (typeof raw === 'string' && String(option) === raw);
}

function rangeText(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  if (min !== undefined) return ` >= ${min}`;
  if (max !== undefined) return ` <= ${max}`;
  return '';
}

export function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

// ---- types: the value a schema declares, for typed handlers ----------------------------------

/** The TypeScript type of a value read against `Schema` (written `as const` or inline). */
export type SchemaValue<Schema> = Schema extends { enum: readonly (infer Option)[] }
  ? Option
  : Schema extends { type: 'integer' | 'number' }
    ? number
    : Schema extends { type: 'boolean' }
      ? boolean
      : Schema extends { type: 'string'; format: 'binary' }
        ? UploadedFile
        : Schema extends { type: 'string'; format: 'date-time' }
          ? Date
          : Schema extends { type: 'string' }
            ? string
            : Schema extends { type: 'array'; items: infer Items }
              ? SchemaValue<Items>[]
              : Schema extends { type: 'object'; properties: infer Properties }
                ? ObjectValue<Properties, Schema>
                : Schema extends { type: 'object' }
                  ? Record<string, unknown>
                  : unknown;

/** Whether a field always has a value: required, or defaulted. */
type Present<Field, Name, Required> = Field extends { default: unknown }
  ? true
  : Name extends Required
    ? true
    : false;

type RequiredNames<Schema> = Schema extends { required: readonly (infer Name)[] } ? Name : never;

type Simplify<T> = { [Key in keyof T]: T[Key] } & {};

/** The fields of `Properties` that are (`Always` true) or are not always present. */
type FieldNames<Properties, Schema, Always extends boolean> = {
  [Name in keyof Properties]: Present<Properties[Name], Name, RequiredNames<Schema>> extends Always
    ? Name
    : never;
}[keyof Properties];

export type ObjectValue<Properties, Schema> = Simplify<
  { -readonly [Name in FieldNames<Properties, Schema, true>]: SchemaValue<Properties[Name]> } & {
    -readonly [Name in FieldNames<Properties, Schema, false>]?: SchemaValue<Properties[Name]>;
  }
>;

interface DeclaredParameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: JsonSchema;
}

type IsPresentParameter<Parameter> = Parameter extends { required: true }
  ? true
  : Parameter extends { schema: { default: unknown } }
    ? true
    : false;

/** `req.query` of a route: its declared query parameters, read and defaulted. */
export type QueryValues<Parameters extends readonly DeclaredParameter[]> = Simplify<
  {
    -readonly [
      Parameter in Parameters[number] as Parameter extends { in: 'query' }
        ? IsPresentParameter<Parameter> extends true
          ? Parameter['name']
          : never
        : never
    ]: SchemaValue<Parameter['schema']>;
  } & {
    -readonly [
      Parameter in Parameters[number] as Parameter extends { in: 'query' }
        ? IsPresentParameter<Parameter> extends true
          ? never
          : Parameter['name']
        : never
    ]?: SchemaValue<Parameter['schema']>;
  }
>;

/** `req.params` of a route: each `:name` of the path, read against its declaration (else text). */
export type PathValues<
  Path extends string,
  Parameters extends readonly DeclaredParameter[] = [],
> = string extends Path
  ? Record<string, string>
  : {
      [Name in ParamNames<Path>]: [
        Extract<Parameters[number], { in: 'path'; name: Name }>,
      ] extends [never]
        ? string
        : Extract<Parameters[number], { in: 'path'; name: Name }> extends {
              schema: infer Schema;
            }
          ? SchemaValue<Schema> extends infer Value
            ? unknown extends Value
              ? string
              : Value
            : string
          : string;
    };

type ParamNames<Path extends string> = Path extends `${string}:${infer Rest}`
  ? ParamName<Rest> | ParamNames<Rest>
  : never;

type ParamName<Text extends string> = Text extends `${infer Name}/${string}`
  ? ParamName<Name>
  : Text extends `${infer Name}.${string}`
    ? ParamName<Name>
    : Text extends `${infer Name}-${string}`
      ? ParamName<Name>
      : Text;
