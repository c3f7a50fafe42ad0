import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm, startService } from './helpers.js';

// Every request here is refused while its parameters are read, before anything is fetched:
// the allow-listed host does not exist.
const SECRET = 'parameters-secret';
const API_URL = 'https://ckan.example.org/api/3/action/datastore_search';
let service: Awaited<ReturnType<typeof startService>>;

beforeAll(async () => {
  service = await startService({
    PACKAGER_SECRET: SECRET,
    PACKAGER_ALLOWED_HOSTS: 'ckan.example.org',
  });
});
afterAll(() => service?.cleanup());

const datastorePost = (overrides: Record<string, string> = {}) => ({
  secret: SECRET,
  resource_id: 'birds',
  email: 'ann@example.org',
  api_url: API_URL,
  ...overrides,
});

/** `{"a":{"a":...1...}}`, `depth` objects deep. */
function nestedObject(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** POSTs a JSON body; `rawFields` are written as given (too deep for JSON.stringify). */
async function postJson(
  path: string,
  body: Record<string, unknown>,
  rawFields: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  const raw = Object.entries(rawFields).map(([name, json]) => `,${JSON.stringify(name)}:${json}`);
  const response = await fetch(new URL(path, service.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: `${JSON.stringify(body).slice(0, -1)}${raw.join('')}}`,
  });
  return { status: response.status, body: await response.json() };
}

const badRequest = (message: string) => ({
  status: 400,
  body: { status: 'failed', error: 'BadRequestError', message },
});

describe('JSON-valued parameters', () => {
  it('refuses filters nested 5,000 levels deep with 400, in a form and in a JSON body', async () => {
    const deep = nestedObject(5000);
    for (const path of ['/package_datastore', '/package_dwc_archive']) {
      expect(await postForm(service.url, path, datastorePost({ filters: deep }))).toEqual(
        badRequest('Parameter filters is nested more than 32 levels deep'),
      );
    }
    expect(await postJson('/package_datastore', datastorePost(), { filters: deep })).toEqual(
      badRequest('Parameter filters is nested more than 32 levels deep'),
    );
    // Arrays count as levels too.
    expect(
      await postForm(
        service.url,
        '/package_datastore',
        datastorePost({ filters: `{"a":${'['.repeat(40)}${']'.repeat(40)}}` }),
      ),
    ).toEqual(badRequest('Parameter filters is nested more than 32 levels deep'));
  });

  it('refuses a per-field q object nested too deeply or too large', async () => {
    expect(
      await postJson('/package_datastore', datastorePost(), { q: nestedObject(5000) }),
    ).toEqual(badRequest('Parameter q is nested more than 32 levels deep'));
    const wide = Object.fromEntries(
      Array.from({ length: 20_000 }, (_, index) => [`f${index}`, 'x']),
    );
    expect(await postJson('/package_datastore', { ...datastorePost(), q: wide })).toEqual(
      badRequest('Parameter q holds more than 10000 values'),
    );
  });

  it('refuses filters with too many values, even within the length limit', async () => {
    const many = JSON.stringify({ id: Array.from({ length: 12_000 }, () => 1) });
    expect(many.length).toBeLessThan(64 * 1024);
    expect(
      await postForm(service.url, '/package_datastore', datastorePost({ filters: many })),
    ).toEqual(badRequest('Parameter filters holds more than 10000 values'));
  });

  it('refuses huge strings in every text parameter, statistics ones included', async () => {
    const huge = 'x'.repeat(70_000);
    expect(
      await postForm(service.url, '/package_datastore', datastorePost({ filters: huge })),
    ).toEqual(badRequest('Parameter filters is longer than 65536 characters'));
    expect(
      await postForm(service.url, '/package_datastore', datastorePost({ sort: huge })),
    ).toEqual(badRequest('Parameter sort is longer than 65536 characters'));
    expect(
      await postForm(service.url, '/statistics', { secret: SECRET, resource_id: huge }),
    ).toEqual(badRequest('Parameter resource_id is longer than 200 characters'));
    expect(
      await postForm(service.url, '/statistics/errors', { secret: SECRET, email: huge }),
    ).toEqual(badRequest('Parameter email is longer than 320 characters'));
  });

  it('refuses numbers that are not whole, too large or out of range', async () => {
    for (const limit of ['1e400', '9007199254740993', '1.5', '-1']) {
      expect(
        await postForm(service.url, '/package_datastore', datastorePost({ limit })),
        limit,
      ).toEqual(badRequest('Parameter limit must be a whole number >= 0'));
    }
    for (const offset of [1e308, 2.5, -3]) {
      expect(
        await postJson('/package_datastore', { ...datastorePost(), offset }),
        `${offset}`,
      ).toEqual(badRequest('Parameter offset must be a whole number >= 0'));
    }
    expect(
      await postForm(service.url, '/statistics/requests', { secret: SECRET, limit: '10001' }),
    ).toEqual(badRequest('Parameter limit must be an integer from 0 to 10000'));
  });

  it('refuses a parameter given twice instead of picking one of its values', async () => {
    const body = new URLSearchParams(datastorePost());
    body.append('email', 'bob@example.org');
    expect(await postForm(service.url, '/package_datastore', body)).toEqual(
      badRequest('Parameter email must be given once, not as a list'),
    );
    const stats = new URLSearchParams({ secret: SECRET, resource_id: 'a' });
    stats.append('resource_id', 'b');
    expect(await postForm(service.url, '/statistics', stats)).toEqual(
      badRequest('Parameter resource_id must be given once, not as a list'),
    );
  });
});
