// A setup file of the service projects: each test file also checks that the OpenAPI documents
// list every status the services answered in it, so the documents cannot drift from behaviour.
import { afterAll, expect } from 'vitest';
import { recordRouteAnswers } from '@geoworks/service-kit';

const recorder = recordRouteAnswers();

afterAll(() => {
  recorder.stop();
  expect(recorder.undocumented(), 'answers missing from the OpenAPI document').toEqual([]);
});
