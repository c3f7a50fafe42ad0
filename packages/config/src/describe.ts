import type { ConfigField, ConfigSchema } from './types.js';
import { rangeText } from './values.js';

/**
 * The schema as a Markdown table (variable, type, default, description) for a service's README,
 * so the documentation is generated from the same declaration the service reads.
 */
export function describeConfig(schema: ConfigSchema): string {
  const rows = Object.values(schema).map((field) =>
    [
      `\`${field.env}\``,
      typeText(field),
      defaultText(field),
      field.description + (field.secret === true ? ' Secret: never logged.' : ''),
    ]
      .map(cell)
      .join(' | '),
  );
  return [
    '| Variable | Type | Default | Description |',
    '| --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}

function typeText(field: ConfigField): string {
  switch (field.type) {
    case 'enum':
      return `one of ${field.values.map((value) => `\`${value}\``).join(', ')}`;
    case 'url':
      return field.protocols === undefined ? 'URL' : `URL (${field.protocols.join(', ')})`;
    case 'list':
      return 'comma-separated list';
    default:
      return field.type + rangeText(field);
  }
}

function defaultText(field: ConfigField): string {
  if (field.default === undefined) return field.optional === true ? '(unset)' : '**required**';
  if (field.secret === true) return '(hidden)';
  const text = Array.isArray(field.default) ? field.default.join(',') : String(field.default);
  return text === '' ? '`""`' : `\`${text}\``;
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replace(/\r?\n/g, ' ');
}
