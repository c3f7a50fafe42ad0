import { type Api, createApi } from '@geoworks/service-kit';
import type { Auth } from '../auth.js';
import { describeProblem } from '../errors.js';
import { accountRoutes } from './accounts.js';
import { jobRoutes } from './jobs.js';
import { runRoutes } from './runs.js';
import { ENGINE_VERSION, type CalcRouteOptions } from './shared.js';

export { ENGINE_VERSION } from './shared.js';

/** The calc-server's API: OpenQuake's /v1 routes and the account pages, in one document. */
export function calcServerApi(options: CalcRouteOptions & { auth: Auth }): Api {
  const api = createApi({
    documentPath: '/openapi.json',
    title: 'calc-server',
    version: ENGINE_VERSION,
    description:
      'An OpenQuake engine server compatible REST API whose calculations are geoworks computations: intersection, remaining_areas and raster_stats.',
    describeProblem,
    // Django reads an empty form field as not given (`if not request.POST.get(...)`).
    emptyFields: 'absent',
  });
  jobRoutes(api, options);
  runRoutes(api, options);
  accountRoutes(api, options.auth);
  return api;
}
