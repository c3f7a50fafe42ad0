import {
  Router,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import { answerRecorder } from './answers.js';
import { RouteDefinitionError } from './errors.js';
import {
  checkInputSchema,
  type PathValues,
  type QueryValues,
  type SchemaValue,
} from './input-schema.js';
import { readParameters, type InputOptions } from './parameters.js';
import { checkRequestBody, readBody, removingUploads, type UploadSpec } from './request-body.js';
import type { UploadedFile } from './uploads.js';

/** A JSON Schema (2020-12, as OpenAPI 3.1 uses), as a plain object. */
export type JsonSchema = { [keyword: string]: unknown };

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head' | 'options';

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  description?: string;
  required?: boolean;
  schema?: JsonSchema;
  [extension: string]: unknown;
}

export interface OpenApiMediaType {
  schema?: JsonSchema;
  example?: unknown;
  [extension: string]: unknown;
}

export interface OpenApiRequestBody {
  description?: string;
  required?: boolean;
  content: Record<string, OpenApiMediaType>;
}

export interface OpenApiResponse {
  description: string;
  headers?: Record<string, { description?: string; schema?: JsonSchema }>;
  content?: Record<string, OpenApiMediaType>;
}

export interface OpenApiOperation {
  operationId?: string;
  summary: string;
  description?: string;
  tags?: string[];
  parameters?: OpenApiParameter[];
  requestBody?: OpenApiRequestBody;
  responses: Record<string, OpenApiResponse>;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description?: string };
  servers?: { url: string; description?: string }[];
  paths: Record<string, Partial<Record<HttpMethod, OpenApiOperation>>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

/** `{ id: string }` for `/jobs/:id`: the `req.params` of an Express path, all text. */
export type PathParams<Path extends string> = PathValues<Path>;

/** The body value a request body declares (the schema of its first media type). */
export type BodyValue<Body> = Body extends { content: infer Content }
  ? Content[keyof Content] extends { schema: infer Schema }
    ? SchemaValue<Schema>
    : unknown
  : undefined;

/** `req` of a route's handler: its parameters and body read against their declarations. */
export type RouteRequest<
  Path extends string = string,
  Parameters extends readonly OpenApiParameter[] = [],
  Body = undefined,
> = Request<PathValues<Path, Parameters>, unknown, BodyValue<Body>, QueryValues<Parameters>> &
  (Body extends { content: { 'multipart/form-data': unknown } }
    ? { /** Every file received, in body order. */ files: UploadedFile[] }
    : unknown);

/** A route's handler: `req` typed from the route's declarations. */
export type RouteHandler<Req> = (req: Req, res: Response, next: NextFunction) => unknown;

export interface RouteSpec<
  Path extends string = string,
  Parameters extends readonly OpenApiParameter[] = [],
  Body extends OpenApiRequestBody | undefined = undefined,
> extends Omit<OpenApiOperation, 'parameters' | 'requestBody'> {
  method: HttpMethod;
  /** The Express path, such as `/jobs/:id`. */
  path: Path;
  /** The path in the document, for Express paths with wildcards or optional parts. */
  openApiPath?: string;
  parameters?: Parameters;
  requestBody?: Body;
  /** Where and how a multipart body is received; required with one (see `receiveUploads`). */
  uploads?: UploadSpec;
  /**
   * The handler, or guards (any middleware) then the handler. Guards run before the body is
   * read, so a refused request is not received for nothing.
   */
  handler:
    | RouteHandler<RouteRequest<Path, Parameters, Body>>
    | readonly [
        // Guards see the request as Express types it.
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        ...RequestHandler<any, any, any, any>[],
        RouteHandler<RouteRequest<Path, Parameters, Body>>,
      ];
}

export interface ApiInfo extends InputOptions {
  title: string;
  version: string;
  description?: string;
  servers?: { url: string; description?: string }[];
  /** Shared schemas, referenced from routes as `{ $ref: '#/components/schemas/Name' }`. */
  schemas?: Record<string, JsonSchema>;
  /**
   * Where the document itself is served and listed (conventionally `/openapi.json`); unset:
   * not served (call `serveDocument()` where wanted).
   */
  documentPath?: `/${string}`;
}

export interface Api {
  /** Every registered route; mount it with `app.use(api.router)`. */
  readonly router: Router;
  /**
   * Registers the handler(s) on `router` and the operation in the document; declared
   * parameters and body fields reach the handler read, checked and defaulted (`req.params`,
   * `req.query`, `req.body`).
   */
  route<
    const Path extends string,
    const Parameters extends readonly OpenApiParameter[] = [],
    const Body extends OpenApiRequestBody | undefined = undefined,
  >(
    spec: RouteSpec<Path, Parameters, Body>,
  ): void;
  /** The OpenAPI 3.1 document of the routes registered so far. */
  document(): OpenApiDocument;
  /** A handler answering with the document, for a route such as `GET /openapi.json`. */
  serveDocument(): RequestHandler;
}

/**
 * A route registry that is also the service's OpenAPI description: a route cannot exist
 * without its documentation, nor the documentation without the route.
 */
export function createApi(info: ApiInfo): Api {
  const router = Router();
  const paths: OpenApiDocument['paths'] = {};
  const operationIds = new Set<string>();

  const servedAt = info.documentPath;
  const document = (): OpenApiDocument =>
    structuredClone({
      openapi: '3.1.0' as const,
      info: {
        title: info.title,
        version: info.version,
        ...(info.description === undefined ? {} : { description: info.description }),
      },
      ...(info.servers === undefined ? {} : { servers: info.servers }),
      paths:
        servedAt === undefined
          ? paths
          : {
              ...paths,
              [servedAt]: {
                get: {
                  summary: 'This API (OpenAPI 3.1)',
                  responses: withCheckedParameterAnswers(
                    { '200': jsonResponse('The OpenAPI document') },
                    [],
                  ),
                },
              },
            },
      ...(info.schemas === undefined ? {} : { components: { schemas: info.schemas } }),
    });

  const api: Api = {
    router,
    route(spec) {
      const { method, path, openApiPath, handler, uploads, ...described } = spec;
      const where = `${method.toUpperCase()} ${path}`;
      const documentPath = openApiPath ?? toOpenApiPath(path, where);
      const parameters = withPathParameters(documentPath, described.parameters ?? [], where);
      for (const parameter of parameters) {
        checkInputSchema(parameter.schema ?? {}, `${where} parameter "${parameter.name}"`);
      }
      checkRequestBody(described.requestBody, uploads, where);
      const operation: OpenApiOperation = {
        ...described,
        ...(parameters.length === 0 ? {} : { parameters }),
        responses: withCheckedParameterAnswers(described.responses, parameters),
      } as OpenApiOperation;
      if (paths[documentPath]?.[method] !== undefined || (path === servedAt && method === 'get')) {
        throw new RouteDefinitionError(`${where}: registered twice`);
      }
      if (operation.operationId !== undefined) {
        if (operationIds.has(operation.operationId)) {
          throw new RouteDefinitionError(
            `${where}: operationId "${operation.operationId}" is already used`,
          );
        }
        operationIds.add(operation.operationId);
      }
      (paths[documentPath] ??= {})[method] = operation;
      // The request types are a view of what readParameters and readBody make of it.
      const handlers = (Array.isArray(handler) ? handler : [handler]) as RequestHandler[];
      const guards = handlers.slice(0, -1);
      const last = handlers.at(-1)!;
      const body = readBody(described.requestBody, uploads, info);
      const statuses = () => Object.keys(operation.responses);
      router[method](
        path,
        answerRecorder(info.title, `${method.toUpperCase()} ${documentPath}`, statuses),
        readParameters(parameters, info),
        ...guards,
        ...(body === undefined
          ? [last]
          : [body, uploads === undefined ? last : removingUploads(last)]),
      );
    },
    document,
    serveDocument: () => (_req, res) => {
      res.json(document());
    },
  };
  // Every service describes itself at the same place: served from the start, listed last.
  if (servedAt !== undefined) {
    router.get(
      servedAt,
      answerRecorder(info.title, `GET ${servedAt}`, () => ['200', '400']),
      readParameters([], info),
      api.serveDocument(),
    );
  }
  return api;
}

/**
 * What every route may answer because service-kit checks its parameters first (a query key
 * given twice, a value outside its schema: 400; a path that does not fit: no such route, 404),
 * added to the route's own responses where it does not describe them itself.
 */
function withCheckedParameterAnswers(
  responses: Record<string, OpenApiResponse>,
  parameters: readonly OpenApiParameter[],
): Record<string, OpenApiResponse> {
  return {
    ...responses,
    '400': responses['400'] ?? {
      description: 'A query parameter given twice, or a parameter outside its declared schema',
    },
    ...(parameters.some((parameter) => parameter.in === 'path')
      ? { '404': responses['404'] ?? { description: 'Nothing at this path' } }
      : {}),
  };
}

/** `/jobs/:id/logs` -> `/jobs/{id}/logs`; other Express syntax needs an explicit openApiPath. */
function toOpenApiPath(path: string, where: string): string {
  if (!path.startsWith('/') || /[*?(){}"\\]/.test(path)) {
    throw new RouteDefinitionError(
      `${where}: give openApiPath; only paths made of /literal and /:param segments convert`,
    );
  }
  return path.replace(/:([A-Za-z_$][A-Za-z0-9_$]*)/g, '{$1}');
}

/**
 * Declares every `{name}` of the path as a required path parameter (a string unless described),
 * and refuses described path parameters that the path does not have.
 */
function withPathParameters(
  path: string,
  parameters: readonly OpenApiParameter[],
  where: string,
): OpenApiParameter[] {
  const names = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1] ?? '');
  for (const parameter of parameters) {
    if (parameter.in === 'path' && !names.includes(parameter.name)) {
      throw new RouteDefinitionError(
        `${where}: path parameter "${parameter.name}" is not in the path`,
      );
    }
  }
  const described = parameters.map((parameter) =>
    parameter.in === 'path' ? { ...parameter, required: true } : parameter,
  );
  const missing = names
    .filter((name) => !parameters.some((p) => p.in === 'path' && p.name === name))
    .map((name): OpenApiParameter => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
  return [...missing, ...described];
}

/** A documented JSON response (any shape). */
export function jsonResponse(description: string): OpenApiResponse {
  return { description, content: { 'application/json': { schema: {} } } };
}

/** A documented plain-text response. */
export function textResponse(description: string): OpenApiResponse {
  return { description, content: { 'text/plain': { schema: { type: 'string' } } } };
}

/** A documented binary response of `mediaType` (a file download). */
export function binaryResponse(
  description: string,
  mediaType = 'application/octet-stream',
): OpenApiResponse {
  return {
    description,
    content: { [mediaType]: { schema: { type: 'string', format: 'binary' } } },
  };
}
