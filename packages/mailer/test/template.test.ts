import { describe, expect, it } from 'vitest';
import {
  escapeHtml,
  InvalidTemplateValueError,
  MissingTemplateValueError,
  renderHtmlTemplate,
  renderTemplate,
  templateFields,
  TemplateSyntaxError,
} from '../src/index.js';

// ckanpackager's default EMAIL_BODY, which its Python code fills with str.format(**values).
const CKAN_EMAIL_BODY = `Hello,

The link to the resource you requested on {ckan_host} is available at:
http://{ckan_host}/{zip_file_name}

{doi_body}

Best Wishes,
The Data Portal Bot
`;

describe('renderTemplate', () => {
  it('fills a CKAN packager template as Python str.format does', () => {
    const values = {
      ckan_host: 'data.example.org',
      zip_file_name: 'a1b2.zip',
      doi_body: '',
      resource_id: 'r-1', // unused values are fine, as in Python
    };
    expect(renderTemplate(CKAN_EMAIL_BODY, values)).toBe(`Hello,

The link to the resource you requested on data.example.org is available at:
http://data.example.org/a1b2.zip



Best Wishes,
The Data Portal Bot
`);
    expect(renderTemplate('Resource from {ckan_host}', values)).toBe(
      'Resource from data.example.org',
    );
  });

  it.each([
    ['{a}{b}', { a: 1, b: 'x' }, '1x'],
    ['{{literal}} and {{{a}}}', { a: 'v' }, '{literal} and {v}'],
    [
      'Job {job.id} of {job.owner.name}',
      { job: { id: 42, owner: { name: 'ann' } } },
      'Job 42 of ann',
    ],
    ['{flag} {big} {zero}', { flag: false, big: 10n, zero: 0 }, 'false 10 0'],
    ['{when}', { when: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)) }, '2024-01-02T03:04:05.000Z'],
    ['no placeholders', {}, 'no placeholders'],
    ['{name}', { name: '<b>&</b>' }, '<b>&</b>'],
  ])('%j', (template, values, expected) => {
    expect(renderTemplate(template, values)).toBe(expected);
  });

  it('names every missing value at once, and the values it was given', () => {
    const error = (() => {
      try {
        return renderTemplate('{ckan_host}/{zip_file_name} {doi} {doi}', {
          ckan_host: 'x',
          doi: null,
        });
      } catch (error) {
        return error;
      }
    })();
    expect(error).toBeInstanceOf(MissingTemplateValueError);
    expect(error).toMatchObject({
      kind: 'invalid-input',
      code: 'TEMPLATE_VALUE_MISSING',
      message: 'Template values "zip_file_name", "doi" missing; values given: ckan_host, doi',
      missing: ['zip_file_name', 'doi'],
    });
    expect(() => renderTemplate('{a}', {})).toThrow(
      'Template value "a" missing; values given: (none)',
    );
  });

  it('does not read inherited properties', () => {
    expect(() => renderTemplate('{constructor} {a.toString}', { a: {} })).toThrow(
      'Template values "constructor", "a.toString" missing',
    );
  });

  it.each([
    ['Total: {count', 'Unclosed "{" at offset 7 of the template (write "{{" for a literal brace)'],
    ['a } b', 'Single "}" at offset 2 of the template (write "}}" for a literal brace)'],
    [
      '{count:>10}',
      'Placeholder {count:>10} at offset 0: format specs and conversions are not supported',
    ],
    [
      '{name!r}',
      'Placeholder {name!r} at offset 0: format specs and conversions are not supported',
    ],
    ['{0}', 'Placeholder {0} at offset 0 is not a name (letters, digits, "_", dots)'],
    ['{}', 'Placeholder {} at offset 0 is not a name (letters, digits, "_", dots)'],
    ['{a b}', 'Placeholder {a b} at offset 0 is not a name (letters, digits, "_", dots)'],
  ])('refuses the malformed template %j', (template, message) => {
    const render = () => renderTemplate(template, { count: 1, name: 'x', a: 1 });
    expect(render).toThrow(TemplateSyntaxError);
    expect(render).toThrow(message);
    expect(() => templateFields(template)).toThrow(TemplateSyntaxError);
  });

  it.each([
    [{ v: { a: 1 } }, 'Template value "v" is an object; give a string, a number or a Date'],
    [{ v: [1, 2] }, 'Template value "v" is an array; give a string, a number or a Date'],
    [{ v: () => 1 }, 'Template value "v" is a function; give a string, a number or a Date'],
  ])('refuses values that are not text: %o', (values, message) => {
    expect(() => renderTemplate('{v}', values)).toThrow(InvalidTemplateValueError);
    expect(() => renderTemplate('{v}', values)).toThrow(message);
  });
});

describe('HTML bodies', () => {
  it('escapes the values, not the template', () => {
    const template = '<p>Hello {name},</p><p><a href="{url}">Download {file}</a></p>';
    expect(
      renderHtmlTemplate(template, {
        name: 'Ann <script>alert(1)</script>',
        url: 'https://data.example.org/f?a=1&b="2"',
        file: "O'Brien & sons.zip",
      }),
    ).toBe(
      '<p>Hello Ann &lt;script&gt;alert(1)&lt;/script&gt;,</p>' +
        '<p><a href="https://data.example.org/f?a=1&amp;b=&quot;2&quot;">Download O&#39;Brien &amp; sons.zip</a></p>',
    );
    expect(renderTemplate('{x}', { x: '<i>' }, { escape: 'html' })).toBe('&lt;i&gt;');
  });

  it('escapeHtml escapes the five special characters', () => {
    expect(escapeHtml(`<a href="x">Tom & Jerry's</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;',
    );
  });
});

describe('templateFields', () => {
  it('lists the placeholders in order of first use', () => {
    expect(templateFields(CKAN_EMAIL_BODY)).toEqual(['ckan_host', 'zip_file_name', 'doi_body']);
    expect(templateFields('{{not}} {a.b} {c} {a.b}')).toEqual(['a.b', 'c']);
  });
});
