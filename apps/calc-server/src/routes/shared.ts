import type { Actor, CalcEngine } from '@geoworks/calc-engine';
import { NotFoundError } from '@geoworks/errors';
import { jsonResponse, type UploadSpec } from '@geoworks/service-kit';
import type { Request, RequestHandler } from 'express';

export const ENGINE_VERSION = '3.23.0+geoworks.0.1.0';

export interface CalcRouteOptions {
  engine: CalcEngine;
  mode: 'PUBLIC' | 'READ_ONLY';
  /** Owner of the jobs submitted without lockdown. */
  defaultUser: string;
  /** Where uploads are received, and their largest file. */
  uploads: Pick<UploadSpec, 'dir' | 'maxFileBytes'>;
  /** `on_same_fs` looks at files under this folder only. */
  dataDir: string;
}

// Decimal integers only: service-kit sends any other spelling (`1e0`, `0x1`) on to a 404.
export const idParameter = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'integer', minimum: 0 },
  description: 'Job id',
} as const;

/** Routes that read or change the job queue answer 503 while its Redis cannot be reached. */
export const QUEUE_UNAVAILABLE = {
  '503': jsonResponse('The job queue is unavailable (Redis down); retry after Retry-After'),
};
/** Routes that receive uploads cut the ones that come slower than the minimum rate. */
export const SLOW_UPLOAD = {
  '408': jsonResponse('The upload came slower than the minimum rate, and was cut'),
};
/** Write routes do not exist in READ_ONLY mode. */
export const READ_ONLY = { '404': jsonResponse('Not available in READ_ONLY mode') };
export const NOT_YOURS = { '403': jsonResponse('Not yours') };

/** Who makes the request: the session's user under lockdown (see resolveActor), else nobody. */
export function actorOf(req: object): Actor | undefined {
  return (req as { actor?: Actor }).actor;
}

export function baseUrl(req: Pick<Request, 'protocol' | 'get'>): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

/** In READ_ONLY mode the write routes do not exist (404), as OpenQuake's URL conf. */
export function writable(mode: CalcRouteOptions['mode']): RequestHandler {
  return (_req, _res, next) => {
    next(mode === 'READ_ONLY' ? new NotFoundError('Not available in READ_ONLY mode') : undefined);
  };
}

/** A form (or JSON) body of the given fields. */
export function formBody<
  const Properties extends Record<string, object>,
  const Required extends readonly (keyof Properties & string)[],
>(properties: Properties, required: Required) {
  const schema = { type: 'object', properties, required } as const;
  return {
    required: required.length > 0,
    content: {
      'application/x-www-form-urlencoded': { schema },
      'application/json': { schema },
    },
  } as const;
}
