import { describe, expect, it } from 'vitest';
import {
  BadTaskParameterError,
  cacheParameters,
  HostNotAllowedError,
  hostAllowed,
  MAX_JSON_DEPTH,
  parseTask,
  PackageStore,
  requestedRecords,
} from '../src/index.js';

// What ckanext-ckanpackager posts for a datastore resource (form fields, all strings).
const extensionPost = {
  secret: 's3cret',
  resource_id: 'a1b2c3',
  email: 'user@example.org',
  format: 'csv',
  key: 'api-key-123',
  api_url: 'https://data.example.org/api/action/datastore_search',
  filters: '{"country":["FR","DE"],"year":["2020"]}',
  q: 'beetle',
  limit: '1200',
  offset: '0',
  sort: '_id asc',
};

/** `{"a":{"a":...1...}}`, `depth` objects deep. */
const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('parseTask', () => {
  it('reads the extension form post', () => {
    expect(parseTask('datastore', extensionPost, undefined)).toEqual({
      kind: 'datastore',
      resourceId: 'a1b2c3',
      email: 'user@example.org',
      key: 'api-key-123',
      apiUrl: 'https://data.example.org/api/action/datastore_search',
      filters: { country: ['FR', 'DE'], year: ['2020'] },
      q: 'beetle',
      limit: 1200,
      offset: 0,
      sort: '_id asc',
      format: 'csv',
    });
  });

  it('drops unknown parameters and reads DwC and URL tasks', () => {
    const dwc = parseTask(
      'dwc',
      { ...extensionPost, eml: '<eml/>', for_gbif: 'true', junk: 'x' },
      undefined,
    );
    expect(dwc).toMatchObject({ kind: 'dwc', eml: '<eml/>', forGbif: true });
    expect(dwc).not.toHaveProperty('junk');
    const url = parseTask(
      'url',
      { resource_id: 'r', email: 'a@b.org', resource_url: 'http://files.example.org/a.csv?x=1' },
      undefined,
    );
    expect(url).toEqual({
      kind: 'url',
      resourceId: 'r',
      email: 'a@b.org',
      resourceUrl: 'http://files.example.org/a.csv?x=1',
    });
  });

  it('takes JSON bodies with real types', () => {
    const task = parseTask(
      'datastore',
      {
        resource_id: 'r',
        email: 'a@b.org',
        api_url: 'http://c/api',
        filters: { a: 1 },
        q: { name: 'x' },
        limit: 5,
        plain: false,
      },
      undefined,
    );
    expect(task).toMatchObject({ filters: { a: 1 }, q: { name: 'x' }, limit: 5, plain: false });
  });

  it.each([
    [{ ...extensionPost, api_url: undefined }, 'Parameter api_url is required'],
    [{ ...extensionPost, resource_id: '  ' }, 'Parameter resource_id is required'],
    [{ ...extensionPost, email: undefined }, 'Parameter email is required'],
    [{ ...extensionPost, email: 'not an address' }, 'Parameter email must be one email address'],
    [{ ...extensionPost, email: 'a@b.org, c@d.org' }, 'Parameter email must be one email address'],
    [{ ...extensionPost, filters: '{broken' }, 'Parameter filters must be a JSON object'],
    [{ ...extensionPost, filters: '[1,2]' }, 'Parameter filters must be a JSON object'],
    [{ ...extensionPost, limit: '-3' }, 'Parameter limit must be a whole number >= 0'],
    [{ ...extensionPost, offset: '1e3' }, 'Parameter offset must be a whole number >= 0'],
    [{ ...extensionPost, format: 'pdf' }, 'Parameter format must be csv, tsv or xlsx'],
    [
      { ...extensionPost, api_url: 'file:///etc/passwd' },
      'Parameter api_url must be an http or https URL',
    ],
    [
      { ...extensionPost, api_url: 'http://user:pw@ckan/api' },
      'must not contain a user name or password',
    ],
    [{ ...extensionPost, api_url: 'not a url' }, 'Parameter api_url must be an absolute URL'],
    [{ ...extensionPost, plain: 'maybe' }, 'Parameter plain must be true or false'],
    [{ ...extensionPost, q: ['a', 1] }, 'Parameter q must be given once, not as a list'],
    [{ ...extensionPost, email: ['a@b.org', 'c@d.org'] }, 'Parameter email must be given once'],
    [{ ...extensionPost, plain: { yes: true } }, 'Parameter plain must be true or false'],
    [{ ...extensionPost, filters: nested(MAX_JSON_DEPTH + 1) }, 'nested more than 32 levels deep'],
    [{ ...extensionPost, q: JSON.parse(nested(5000)) }, 'Parameter q is nested more than 32'],
    [{ ...extensionPost, limit: '12345678901234567' }, 'Parameter limit must be a whole number'],
  ])('refuses bad input %#', (parameters, message) => {
    const attempt = () => parseTask('datastore', parameters as Record<string, unknown>, undefined);
    expect(attempt).toThrow(BadTaskParameterError);
    expect(attempt).toThrow(message);
  });

  it('takes JSON parameters up to the depth limit, and keeps their cache key stable', () => {
    const task = parseTask(
      'datastore',
      { ...extensionPost, filters: nested(MAX_JSON_DEPTH) },
      undefined,
    );
    expect(task.kind === 'datastore' && JSON.stringify(task.filters)).toBe(nested(MAX_JSON_DEPTH));
    expect(PackageStore.cacheKey(cacheParameters(task))).toMatch(/^[0-9a-f]{32}$/);
  });

  it('applies the host allow-list', () => {
    const allowed = ['data.example.org', '*.museum.org', 'localhost:5000'];
    expect(parseTask('datastore', extensionPost, allowed).kind).toBe('datastore');
    expect(() =>
      parseTask('datastore', { ...extensionPost, api_url: 'http://evil.example.com/api' }, allowed),
    ).toThrow(HostNotAllowedError);
    expect(hostAllowed(new URL('https://ckan.museum.org/x'), allowed)).toBe(true);
    expect(hostAllowed(new URL('https://museum.org/x'), allowed)).toBe(false);
    expect(hostAllowed(new URL('https://evilmuseum.org/x'), allowed)).toBe(false);
    expect(hostAllowed(new URL('http://localhost:5000/x'), allowed)).toBe(true);
    expect(hostAllowed(new URL('http://localhost:5001/x'), allowed)).toBe(false);
    expect(hostAllowed(new URL('http://anything/x'), ['*'])).toBe(true);
  });
});

describe('cache parameters and queue choice', () => {
  it('share a cache key between users and keep private keys and formats apart', () => {
    const key = (parameters: Record<string, unknown>, kind: 'datastore' | 'dwc' = 'datastore') =>
      PackageStore.cacheKey(cacheParameters(parseTask(kind, parameters, undefined)));
    const base = key(extensionPost);
    expect(key({ ...extensionPost, email: 'other@example.org' })).toBe(base);
    // The same filters written in another order are the same request.
    expect(key({ ...extensionPost, filters: '{"year":["2020"],"country":["FR","DE"]}' })).toBe(
      base,
    );
    expect(key({ ...extensionPost, key: 'someone-else' })).not.toBe(base);
    expect(key({ ...extensionPost, format: 'tsv' })).not.toBe(base);
    expect(key(extensionPost, 'dwc')).not.toBe(base);
  });

  it('counts the records asked for', () => {
    expect(requestedRecords(parseTask('datastore', extensionPost, undefined))).toBe(1200);
    expect(
      requestedRecords(parseTask('datastore', { ...extensionPost, limit: '' }, undefined)),
    ).toBeUndefined();
  });
});
