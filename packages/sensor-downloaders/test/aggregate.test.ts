// The registry and the aggregate search across real local providers.
import { afterEach, describe, expect, it } from 'vitest';
import {
  AggregateSearch,
  AggregateSensorApi,
  AuthenticationError,
  Copernicus,
  createInstance,
  CredentialsError,
  hasCredentials,
  Planet,
  SENSOR_NAMES,
  UsgsOt,
  type Scene,
} from '../src/index.js';
import { EventEmitter } from 'node:events';
import { startCmrFake, type CmrFake } from './fakes/cmr.js';
import { startCopernicusFake, type CopernicusFake } from './fakes/copernicus.js';
import { startPlanetFake, type PlanetFake } from './fakes/planet.js';

const fakes: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

async function three(): Promise<{ cmr: CmrFake; cdse: CopernicusFake; planet: PlanetFake }> {
  const cmr = await startCmrFake({ count: 6 });
  const cdse = await startCopernicusFake({ count: 5 });
  const planet = await startPlanetFake({ count: 4 });
  fakes.push(cmr, cdse, planet);
  return { cmr, cdse, planet };
}

describe('the registry', () => {
  it('creates providers from the seed keywords and names what is missing', () => {
    expect(SENSOR_NAMES).toEqual(['CMR', 'Copernicus', 'UsgsTm', 'UsgsEtm', 'UsgsOt', 'Planet']);
    expect(
      createInstance('copernicus', { copernicus_username: 'u', copernicus_password: 'p' }),
    ).toBeInstanceOf(Copernicus);
    // M2M removed its password login: usgs_password is read as the application token.
    expect(createInstance('UsgsOt', { usgs_username: 'u', usgs_password: 'token' })).toBeInstanceOf(
      UsgsOt,
    );
    expect(createInstance('Planet', { planet_api_key: 'k' })).toBeInstanceOf(Planet);
    expect(() => createInstance('Planet', {})).toThrow(CredentialsError);
    expect(() => createInstance('Planet', {})).toThrow('Planet: missing credential planet_api_key');
    expect(() => createInstance('Landsat', {})).toThrow(
      'No provider "Landsat"; the providers are CMR, Copernicus, UsgsTm, UsgsEtm, UsgsOt, Planet',
    );
    expect(hasCredentials('UsgsEtm', { usgs_username: 'u', usgs_token: 't' })).toBe(true);
    expect(hasCredentials('UsgsEtm', { usgs_username: 'u' })).toBe(false);
    expect(hasCredentials('CMR', {})).toBe(true);
  });
});

describe('AggregateSensorApi', () => {
  it('merges the providers that serve the platforms asked for, as their pages arrive', async () => {
    const { cmr, cdse, planet } = await three();
    const aggregate = new AggregateSensorApi({
      cmr_search_url: cmr.searchUrl,
      copernicus_username: cdse.username,
      copernicus_password: cdse.password,
      copernicus_catalogue_url: cdse.catalogueUrl,
      copernicus_identity_url: cdse.identityUrl,
      planet_api_key: planet.apiKey,
      planet_api_url: `${planet.url}/data/v1`,
    });
    expect(aggregate.apis.map((api) => api.name)).toEqual(['CMR', 'Copernicus', 'Planet']);
    const scenes = await aggregate
      .scenes({
        platformName: ['Sentinel-2', 'PlanetScope'],
        startDate: new Date('2019-01-01T00:00:00Z'),
        endDate: new Date('2023-12-31T00:00:00Z'),
      })
      .toArray();
    const byProvider = (name: string) => scenes.filter((scene) => scene.provider === name).length;
    expect(byProvider('Copernicus')).toBe(5);
    expect(byProvider('Planet')).toBe(planet.items.length);
    // CMR serves neither platform, so it was not asked.
    expect(byProvider('CMR')).toBe(0);
    expect(cmr.state.searchRequests).toBe(0);
    await aggregate.close();
  });

  it('reports a failing provider and goes on with the others', async () => {
    const { cdse, planet } = await three();
    const aggregate = new AggregateSensorApi(
      {
        copernicus_username: cdse.username,
        copernicus_password: cdse.password,
        copernicus_catalogue_url: cdse.catalogueUrl,
        copernicus_identity_url: cdse.identityUrl,
        planet_api_key: 'wrong-key',
        planet_api_url: `${planet.url}/data/v1`,
      },
      // CMR needs no credentials, so it would be included: left out to stay off the network.
      { providers: ['Copernicus', 'Planet'] },
    );
    const failed: string[] = [];
    aggregate.on('provider-failed', (failure) => failed.push(failure.provider));
    const search = aggregate.scenes({});
    const scenes = await search.toArray();
    expect(scenes.every((scene) => scene.provider === 'Copernicus')).toBe(true);
    expect(scenes).toHaveLength(5);
    expect(failed).toEqual(['Planet']);
    expect(search.failures[0]!.error).toBeInstanceOf(AuthenticationError);
  });

  it('drops a scene two providers both return, and stops at maxItems across them', async () => {
    const { cdse } = await three();
    const make = () =>
      new Copernicus({
        username: cdse.username,
        password: cdse.password,
        catalogueUrl: cdse.catalogueUrl,
        identityUrl: cdse.identityUrl,
      });
    const twice = new AggregateSearch([make(), make()], {}, new EventEmitter());
    const ids = (await twice.toArray()).map((scene: Scene) => scene.sceneId);
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
    expect(
      await new AggregateSearch([make(), make()], { maxItems: 3 }, new EventEmitter()).toArray(),
    ).toHaveLength(3);
  });
});
