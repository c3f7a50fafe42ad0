import {
  InvalidTemplateValueError,
  MissingTemplateValueError,
  TemplateSyntaxError,
} from './errors.js';

/**
 * Values for a template's placeholders: any object (a record, an interface type); `{job.id}`
 * reads `values.job.id`.
 */
export type TemplateValues = object;

export interface RenderOptions {
  /** `'html'`: escape every value for an HTML body (the template's own markup is kept). */
  escape?: 'html' | 'none';
}

type Part = { literal: string } | { name: string };

// A Python identifier-like name, optionally dotted: `ckan_host`, `job.id`.
const NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/**
 * Fills `{name}` placeholders, with the rules of Python's `str.format` for the subset that
 * email templates use (the CKAN packager's `EMAIL_BODY`, for one): `{{` and `}}` are literal
 * braces, `{a.b}` reads a nested value, and a lone `{` or `}` is an error. Every placeholder
 * missing from `values` is reported at once (`MissingTemplateValueError`); format specs
 * (`{x:>10}`) and conversions (`{x!r}`) are refused rather than ignored. Values may be
 * strings, numbers, booleans, bigints or Dates; anything else is refused, so an object never
 * turns into `[object Object]` in a customer's inbox.
 */
export function renderTemplate(
  template: string,
  values: TemplateValues,
  options: RenderOptions = {},
): string {
  const parts = parseTemplate(template);
  const missing: string[] = [];
  const rendered: string[] = [];
  for (const part of parts) {
    if ('literal' in part) {
      rendered.push(part.literal);
      continue;
    }
    const value = lookUp(values, part.name);
    if (value === undefined || value === null) {
      if (!missing.includes(part.name)) missing.push(part.name);
      continue;
    }
    const text = valueText(value, part.name);
    rendered.push(options.escape === 'html' ? escapeHtml(text) : text);
  }
  if (missing.length > 0) throw new MissingTemplateValueError(missing, Object.keys(values ?? {}));
  return rendered.join('');
}

/** `renderTemplate` for HTML bodies: every value is HTML-escaped, the template is not. */
export function renderHtmlTemplate(template: string, values: TemplateValues): string {
  return renderTemplate(template, values, { escape: 'html' });
}

/** The placeholder names of a template, in order of first use: check templates at start-up. */
export function templateFields(template: string): string[] {
  const names: string[] = [];
  for (const part of parseTemplate(template)) {
    if ('name' in part && !names.includes(part.name)) names.push(part.name);
  }
  return names;
}

/** Escapes `& < > " '` so text can go into HTML element content and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ENTITIES[char] ?? char);
}

const HTML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function parseTemplate(template: string): Part[] {
  if (typeof template !== 'string') {
    throw new TemplateSyntaxError('A template must be a string', 0);
  }
  const parts: Part[] = [];
  let literal = '';
  let index = 0;
  while (index < template.length) {
    const char = template[index]!;
    const next = template[index + 1];
    if (char === '{' && next === '{') {
      literal += '{';
      index += 2;
    } else if (char === '}' && next === '}') {
      literal += '}';
      index += 2;
    } else if (char === '}') {
      throw new TemplateSyntaxError(
        `Single "}" at offset ${index} of the template (write "}}" for a literal brace)`,
        index,
      );
    } else if (char === '{') {
      const end = template.indexOf('}', index + 1);
      if (end === -1) {
        throw new TemplateSyntaxError(
          `Unclosed "{" at offset ${index} of the template (write "{{" for a literal brace)`,
          index,
        );
      }
      const field = template.slice(index + 1, end);
      if (/[:!]/.test(field)) {
        throw new TemplateSyntaxError(
          `Placeholder {${field}} at offset ${index}: format specs and conversions are not supported`,
          index,
        );
      }
      if (!NAME.test(field)) {
        throw new TemplateSyntaxError(
          `Placeholder {${field}} at offset ${index} is not a name (letters, digits, "_", dots)`,
          index,
        );
      }
      if (literal !== '') parts.push({ literal });
      literal = '';
      parts.push({ name: field });
      index = end + 1;
    } else {
      literal += char;
      index += 1;
    }
  }
  if (literal !== '') parts.push({ literal });
  return parts;
}

function lookUp(values: TemplateValues, name: string): unknown {
  let current: unknown = values;
  for (const key of name.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    // Own properties only: `{constructor}` must not reach Object.prototype.
    if (!Object.prototype.hasOwnProperty.call(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function valueText(value: unknown, name: string): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value);
    default:
      if (value instanceof Date) return value.toISOString();
      throw new InvalidTemplateValueError(
        name,
        Array.isArray(value)
          ? 'an array'
          : typeof value === 'object'
            ? 'an object'
            : `a ${typeof value}`,
      );
  }
}
