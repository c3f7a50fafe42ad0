import { rm } from 'node:fs/promises';
import type { Request, RequestHandler, Response } from 'express';
import { RouteDefinitionError } from './errors.js';
import { checkBodySchema } from './input-schema.js';
import type { JsonSchema, OpenApiRequestBody } from './openapi.js';
import { readFields, type InputOptions } from './parameters.js';
import { receiveUploads, type ReceiveUploadsOptions, type UploadedFile } from './uploads.js';

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
const MULTIPART = 'multipart/form-data';

/** What a route receives in a multipart body: `receiveUploads` options without the files' fate. */
export type UploadSpec = ReceiveUploadsOptions;

/**
 * The files a request's route received, and their deletion once started: when the handler
 * returns or its answer ends, whichever comes first (a handler answering is done with them).
 */
const received = new WeakMap<Request, { files: UploadedFile[]; removed?: Promise<void> }>();

/**
 * Checks, at registration, that every schema of a request body is one the body check enforces,
 * and that a multipart body says where its files go.
 */
export function checkRequestBody(
  body: OpenApiRequestBody | undefined,
  uploads: UploadSpec | undefined,
  where: string,
): void {
  for (const [type, media] of Object.entries(body?.content ?? {})) {
    if (media.schema === undefined) continue;
    if ([FORM, JSON_TYPE, MULTIPART].includes(type)) {
      checkBodySchema(media.schema, `${where} ${type} body`);
    } else if (!(media.schema.type === 'string' && media.schema.format === 'binary')) {
      throw new RouteDefinitionError(
        `${where}: a ${type} body is not checked; describe it as { type: 'string', format: 'binary' }`,
      );
    }
  }
  if (body?.content[MULTIPART] !== undefined && uploads === undefined) {
    throw new RouteDefinitionError(
      `${where}: a multipart body needs uploads (at least { dir, maxFileBytes })`,
    );
  }
}

/**
 * Reads the body a route declares, as the handler's last step before it runs (after any guard
 * in its handler list, so a refused request is not read for nothing): form and JSON fields
 * are checked and converted against their schema; a multipart body is received with
 * `receiveUploads`, its fields checked the same way and each `format: binary` field given its
 * file. `req.body` holds the result; `req.files` every file received.
 */
export function readBody(
  body: OpenApiRequestBody | undefined,
  uploads: UploadSpec | undefined,
  options: InputOptions,
): RequestHandler | undefined {
  const content = body?.content ?? {};
  const multipart = content[MULTIPART];
  const others = Object.keys(content).filter((type) => type !== MULTIPART);
  const schemaOf = (type: string | undefined): JsonSchema | undefined =>
    (type === undefined ? undefined : content[type]?.schema) ??
    content[FORM]?.schema ??
    content[JSON_TYPE]?.schema;
  if (multipart === undefined && schemaOf(undefined) === undefined) return undefined;
  return async (req, res, next) => {
    if (
      multipart !== undefined &&
      uploads !== undefined &&
      (others.length === 0 || req.is(MULTIPART))
    ) {
      const { fields, files } = await receiveUploads(req, uploads);
      received.set(req, { files });
      // The answer completes once the files are gone, so a client never sees them linger.
      const end = res.end.bind(res) as (...args: unknown[]) => Response;
      res.end = ((...args: unknown[]) => {
        void removeReceived(req).then(() => end(...args));
        return res;
      }) as Response['end'];
      Object.defineProperty(req, 'files', { value: files, writable: true, configurable: true });
      const schema = multipart.schema ?? { type: 'object' };
      // A file counts as a field's value where the schema declares that field a file.
      const fileFields = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const withFiles: Record<string, unknown> = { ...fields };
      for (const file of files) {
        if (fileFields[file.field]?.format === 'binary') withFiles[file.field] ??= file;
      }
      try {
        req.body = readFields(schema, withFiles, 'form', options);
      } catch (error) {
        await removeReceived(req);
        throw error;
      }
    } else {
      const json = req.is(JSON_TYPE) !== false && req.is(JSON_TYPE) !== null;
      const schema = schemaOf(json ? JSON_TYPE : FORM) ?? { type: 'object' };
      const given = req.body !== null && typeof req.body === 'object' ? req.body : {};
      req.body = readFields(
        schema,
        given as Record<string, unknown>,
        json ? 'json' : 'form',
        options,
      );
    }
    next();
  };
}

/**
 * The route's last handler, after which the files its `uploads` received are deleted,
 * whatever it answered: a handler keeps a file by moving it before it answers.
 */
export function removingUploads(handler: RequestHandler): RequestHandler {
  return async (req, res, next) => {
    try {
      await handler(req, res, next);
    } finally {
      await removeReceived(req);
    }
  };
}

function removeReceived(req: Request): Promise<void> {
  const upload = received.get(req);
  if (upload === undefined) return Promise.resolve();
  upload.removed ??= Promise.all(upload.files.map((file) => rm(file.path, { force: true }))).then(
    () => undefined,
  );
  return upload.removed;
}
