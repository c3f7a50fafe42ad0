// How flux-server reads its query strings (the routes' declared schemas, then src/query.ts): the
// dates, ranges, flags, aggregates, intervals and WKT each route takes, and the 400 that names
// what is wrong with them.
import { describe, expect, it } from 'vitest';
import { CASA, get, useServer, XCO2 } from './helpers.js';

const API = '/flux/api';
const CASA_URL = `${API}/scenarios/casa_gfed_2004`;
const at = (text: string): Date => new Date(text);

const app = useServer([CASA, XCO2]);

/** GET `path` and expect a plain-text 400 saying `message`. */
async function expect400(path: string, query: Record<string, string>, message: string) {
  const answer = await get(app.base, path, query);
  expect(answer.status, JSON.stringify(query)).toBe(400);
  expect(answer.type).toMatch(/^text\/plain/);
  expect(answer.text).toBe(message);
}

describe('dates', () => {
  it('accepts a time with or without seconds, with Z or an offset', async () => {
    const map = app.flux.map(CASA.name, at('2004-06-30T03:00Z'));
    for (const time of [
      '2004-06-30T03:00',
      '2004-06-30T03:00:00',
      '2004-06-30T03:00:00Z',
      '2004-06-30T05:00:00+02:00',
      '2004-06-29T22:00-05:00',
      // The widest offsets in use, either way.
      '2004-06-30T17:00+14:00',
      '2004-06-29T13:00-14:00',
    ]) {
      const answer = await get<{ timestamp: string }>(app.base, `${CASA_URL}/xy.json`, { time });
      expect(answer.status, time).toBe(200);
      expect(answer.body.timestamp).toBe('2004-06-30T03:00:00.000Z');
      expect(answer.body).toEqual(map);
    }
    const day = await get(app.base, `${CASA_URL}/xy.json`, { time: '2004-06-30' });
    expect(day.body).toEqual(app.flux.map(CASA.name, at('2004-06-30T00:00Z')));
  });

  it('is 400 for dates that are not ISO 8601 or do not exist', async () => {
    for (const time of [
      '2004-02-31',
      'yesterday',
      '2004-06-30T24:00',
      '2004-13-01',
      '30/06/2004',
      // Offsets no zone has: past ±14:00, or minutes past 59.
      '2004-06-30T03:00+99:99',
      '2004-06-30T03:00+14:01',
      '2004-06-30T03:00-15:00',
      '2004-06-30T03:00+05:60',
      '2004-06-30T03:00:00-0099',
    ]) {
      await expect400(
        `${CASA_URL}/xy.json`,
        { time },
        `time must be an ISO 8601 date such as 2004-06-30T03:00:00, not "${time}"`,
      );
    }
  });

  // Date.UTC maps years 0-99 to 1900-1999; dates are built without it.
  it('keeps years before 100 as written (start=0099-01-01 is not 1999-01-01)', async () => {
    const answer = await get<{ properties: { start: string } }>(app.base, `${CASA_URL}/xy.json`, {
      start: '0099-01-01',
      end: '2004-06-30T03:00',
      aggregate: 'net',
    });
    expect(answer.status).toBe(200);
    expect(answer.body.properties.start).toBe('0099-01-01T00:00:00.000Z');
  });
});

describe('xy.json', () => {
  it('verbose is a flag: present, true or 1 for features; false for bare values', async () => {
    const time = '2004-06-30T00:00';
    const verbose = app.flux.map(CASA.name, at(`${time}Z`), { verbose: true });
    for (const value of ['', 'true', '1']) {
      expect((await get(app.base, `${CASA_URL}/xy.json`, { time, verbose: value })).body).toEqual(
        verbose,
      );
    }
    const bare = app.flux.map(CASA.name, at(`${time}Z`));
    for (const value of ['false', '0', 'no']) {
      expect((await get(app.base, `${CASA_URL}/xy.json`, { time, verbose: value })).body).toEqual(
        bare,
      );
    }
  });

  it('takes time for point retrievals as a range from that time to that time', async () => {
    const points = app.flux.points('xco2', { start: at('2009-06-16Z'), end: at('2009-06-16Z') });
    expect(points.features.length).toBeGreaterThan(0);
    const answer = await get(app.base, `${API}/scenarios/xco2/xy.json`, { time: '2009-06-16' });
    expect(answer.body).toEqual(points);
  });

  it('is 400 without time or start/end, or with time given twice', async () => {
    await expect400(`${CASA_URL}/xy.json`, {}, 'Give time, or start, end and aggregate');
    const twice = await get(app.base, `${CASA_URL}/xy.json?time=2004-06-30&time=2004-06-30T03:00`);
    expect(twice.status).toBe(400);
    expect(twice.text).toBe('Query parameter "time" is given 2 times: give it once');
  });

  it('is 400 without aggregate, with a bad aggregate, without end, with start after end or a bad date', async () => {
    const range = { start: '2004-06-30T00:00', end: '2004-06-30T12:00' };
    await expect400(
      `${CASA_URL}/xy.json`,
      range,
      'aggregate is required with start and end (one of positive, negative, net, mean, min, max)',
    );
    await expect400(
      `${CASA_URL}/xy.json`,
      { ...range, aggregate: 'sum' },
      'aggregate must be one of positive, negative, net, mean, min, max, not "sum"',
    );
    await expect400(
      `${CASA_URL}/xy.json`,
      { start: '2004-06-30', aggregate: 'net' },
      'end is required with aggregate',
    );
    await expect400(
      `${CASA_URL}/xy.json`,
      { start: '2004-07-01', end: '2004-06-30', aggregate: 'net' },
      'start (2004-07-01T00:00:00.000Z) is after end (2004-06-30T00:00:00.000Z)',
    );
    await expect400(
      `${CASA_URL}/xy.json`,
      { start: '2004-02-31', end: '2004-07-01', aggregate: 'net' },
      'start must be an ISO 8601 date such as 2004-06-30T03:00:00, not "2004-02-31"',
    );
  });

  it('takes an empty time as not given', async () => {
    const range = { start: '2004-06-30', end: '2004-06-30T12:00', aggregate: 'max' };
    const map = await get(app.base, `${CASA_URL}/xy.json`, range);
    expect(map.status).toBe(200);
    const empty = await get(app.base, `${CASA_URL}/xy.json`, { ...range, time: '' });
    expect(empty.body).toEqual(map.body);
  });

  it('is 400 for point retrievals without a range or time', async () => {
    await expect400(
      `${API}/scenarios/xco2/xy.json`,
      {},
      'start is required for point retrievals (or time)',
    );
  });
});

describe('xy.tif', () => {
  it('is 400 without time, or with an empty one', async () => {
    await expect400(`${CASA_URL}/xy.tif`, {}, 'time is required for a GeoTIFF map');
    await expect400(`${CASA_URL}/xy.tif`, { time: '' }, 'time is required for a GeoTIFF map');
  });
});

describe('t.json', () => {
  const day = { start: '2004-06-30', end: '2004-07-01' };

  it('is 400 without start or end, with start after end, a bad date, aggregate or interval', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ end: '2004-07-01', aggregate: 'net' }, 'start is required for a time series'],
      [{ start: '2004-06-30', aggregate: 'net' }, 'end is required for a time series'],
      [
        { start: '2004-07-01', end: '2004-06-30', aggregate: 'net' },
        'start (2004-07-01T00:00:00.000Z) is after end (2004-06-30T00:00:00.000Z)',
      ],
      [
        { start: 'yesterday', end: '2004-07-01', aggregate: 'net' },
        'start must be an ISO 8601 date such as 2004-06-30T03:00:00, not "yesterday"',
      ],
      [
        { ...day, aggregate: 'avg' },
        'aggregate must be one of positive, negative, net, mean, min, max, not "avg"',
      ],
      [
        { ...day, aggregate: 'net', interval: 'fortnightly' },
        'interval must be one of hourly, daily, weekly, monthly, annual, not "fortnightly"',
      ],
      [day, 'Give aggregate (with an optional interval), coords or geom'],
      [{ start: '', end: '2004-07-01', aggregate: 'net' }, 'start is required for a time series'],
      [{ start: '2004-06-30', end: '', aggregate: 'net' }, 'end is required for a time series'],
    ];
    for (const [query, message] of cases) await expect400(`${CASA_URL}/t.json`, query, message);
  });

  it('takes an empty aggregate or interval as not given', async () => {
    const at = { ...day, coords: 'POINT(-165.5 61.5)' };
    const raw = await get(app.base, `${CASA_URL}/t.json`, at);
    expect(raw.status).toBe(200);
    const empty = await get(app.base, `${CASA_URL}/t.json`, { ...at, aggregate: '', interval: '' });
    expect(empty.body).toEqual(raw.body);
  });

  it('is 400 for coords that are not a WKT point', async () => {
    const cases: [string, string][] = [
      ['POINT(1)', 'coords: "1" is not "x y"'],
      ['POINT(a b)', 'coords: "a b" is not "x y"'],
      ['-165.5 61.5', 'coords must be a WKT point such as POINT(-105.5 40.5), not "-165.5 61.5"'],
      [
        'POLYGON((0 0, 1 0, 1 1, 0 0))',
        'coords must be a WKT point such as POINT(-105.5 40.5), not "POLYGON((0 0, 1 0, 1 1, 0 0))"',
      ],
    ];
    for (const [coords, message] of cases)
      await expect400(`${CASA_URL}/t.json`, { ...day, coords }, message);
  });

  it('is 400 for an interval without aggregate at a cell', async () => {
    await expect400(
      `${CASA_URL}/t.json`,
      { ...day, coords: 'POINT(-165.5 61.5)', interval: 'daily' },
      'interval needs aggregate (one of positive, negative, net, mean, min, max)',
    );
  });

  it('is 400 for a geom that is not a WKT polygon, or with coords', async () => {
    const cases: [string, string][] = [
      ['POLYGON((0 0, 1 1))', 'geom: a polygon ring needs at least three points'],
      ['POLYGON(0 0, 1 0, 1 1, 0 0)', 'geom: "POLYGON(0 0, 1 0, 1 1, 0 0)" is not a WKT polygon'],
      [
        'POINT(0 0)',
        'geom must be a WKT polygon such as POLYGON((0 0, 10 0, 10 10, 0 10, 0 0)), not "POINT(0 0)"',
      ],
      ['POLYGON((0 0, 1 0, x 1, 0 0))', 'geom: "x 1" is not "x y"'],
    ];
    for (const [geom, message] of cases)
      await expect400(`${CASA_URL}/t.json`, { ...day, geom }, message);
    await expect400(
      `${CASA_URL}/t.json`,
      {
        ...day,
        geom: 'POLYGON((-100 30, -80 30, -100 45, -100 30))',
        coords: 'POINT(-95.5 35.5)',
      },
      'Give coords or geom, not both',
    );
  });

  it('reads an open ring as closed, and a hole as a hole', async () => {
    const open = await get(app.base, `${CASA_URL}/t.json`, {
      ...day,
      geom: 'POLYGON((-100 30, -80 30, -100 45))',
    });
    const closed = await get(app.base, `${CASA_URL}/t.json`, {
      ...day,
      geom: 'POLYGON((-100 30, -80 30, -100 45, -100 30))',
    });
    expect(open.status).toBe(200);
    expect((open.body as { seriesN: number[] }).seriesN).toEqual(
      (closed.body as { seriesN: number[] }).seriesN,
    );
    const allN = async (geom: string) =>
      (
        await get<{ properties: { allN: number } }>(app.base, `${CASA_URL}/t.json`, {
          ...day,
          geom,
        })
      ).body.properties.allN;
    const outline = '(-100 30, -90 30, -90 40, -100 40, -100 30)';
    const hole = '(-97 33, -93 33, -93 37, -97 37, -97 33)';
    const whole = await allN(`POLYGON(${outline})`);
    const inHole = await allN(`POLYGON(${hole})`);
    expect(inHole).toBeGreaterThan(0);
    expect(await allN(`POLYGON(${outline}, ${hole})`)).toBe(whole - inHole);
  });
});
