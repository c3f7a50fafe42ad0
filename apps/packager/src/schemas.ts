import { MAX_LENGTHS } from '@geoworks/packager';
import type { JsonSchema } from '@geoworks/service-kit';

// The request bodies of the ckanpackager routes, as the CKAN extension posts them (form fields,
// or JSON). Lengths are the packager's own limits.

/** A form or JSON body of `secret` and these fields. */
export const formBody = (properties: Record<string, JsonSchema>, required: string[]) => {
  const schema = {
    type: 'object',
    properties: { secret: { type: 'string' }, ...properties },
    required: ['secret', ...required],
  };
  return {
    required: true,
    content: {
      'application/x-www-form-urlencoded': { schema },
      'application/json': { schema },
    },
  };
};

/** A text parameter no longer than the packager accepts. */
export const text = (name: keyof typeof MAX_LENGTHS, description?: string): JsonSchema => ({
  type: 'string',
  maxLength: MAX_LENGTHS[name],
  ...(description === undefined ? {} : { description }),
});
export const count = { type: 'integer', minimum: 0 };
const json = (description: string) => ({ description });

export const TASK_FIELDS = {
  resource_id: text('resource_id'),
  email: text('email', 'Where the download link is sent'),
  key: text('key', 'CKAN API key, sent as Authorization'),
  doi: text('doi'),
};
export const DATASTORE_FIELDS = {
  ...TASK_FIELDS,
  api_url: text('api_url', 'The CKAN datastore_search action URL'),
  filters: json('JSON object (as text in a form), as datastore_search expects'),
  q: json('Full-text query: text, or (JSON bodies) an object of per-field queries'),
  plain: { type: 'boolean' },
  language: text('language'),
  limit: count,
  offset: count,
  fields: text('fields'),
  sort: text('sort'),
};
