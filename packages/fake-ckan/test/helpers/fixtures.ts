import type { FieldSpec, Row } from '../../src/index.js';

/** A small resource with awkward values, checked field by field in the tests. */
export const SPECIMEN_FIELDS: FieldSpec[] = [
  { id: 'name', type: 'text' },
  { id: 'count', type: 'int' },
  { id: 'weight', type: 'numeric' },
  { id: 'collected', type: 'timestamp' },
  { id: 'details', type: 'json' },
  { id: 'family', type: 'text' },
  { id: 'verified', type: 'bool' },
  { id: 'notes', type: 'text' },
];

export const SPECIMEN_ROWS: Row[] = [
  {
    name: 'Passer domesticus',
    count: 3,
    weight: 24.5,
    collected: '2019-05-01T10:00:00',
    details: { colour: 'brown', legs: 2 },
    family: 'Passeridae',
    verified: true,
    notes: '',
  },
  {
    name: 'Turdus merula, "blackbird"',
    count: 1,
    weight: 100.25,
    collected: '2018-03-12 08:30:00',
    details: ['black', 'song'],
    family: 'Turdidae',
    verified: false,
    notes: null,
  },
  {
    name: 'Erithacus rubecula',
    count: 2,
    weight: 18,
    collected: '2020-12-24T00:00:00Z',
    details: null,
    family: 'Muscicapidae',
    verified: true,
    notes: 'comma, here',
  },
  {
    name: 'Parus major',
    count: null,
    weight: 18,
    collected: '2017-07-07',
    details: { note: 'Zürich, "park"\nline two' },
    family: 'Paridae',
    verified: null,
    notes: 'quote " here',
  },
  {
    name: 'Cyanistes caeruleus',
    count: 5,
    weight: null,
    collected: null,
    details: { a: [1, 2, { b: null }] },
    family: 'Paridae',
    verified: true,
    notes: 'tab\there',
  },
  {
    name: 'Sturnus vulgaris',
    count: 40,
    weight: 75.125,
    collected: '2019-05-01T10:00:00.750',
    details: 'just a string',
    family: 'Sturnidae',
    verified: false,
    notes: 'new\nline',
  },
  {
    name: 'Columba palumbus',
    count: 2,
    weight: 500,
    collected: '2016-01-01T00:00:00',
    details: 42,
    family: 'Columbidae',
    verified: true,
    notes: 'crlf\r\nline',
  },
  {
    name: 'Pica pica',
    count: 1,
    weight: 220,
    collected: '2021-06-30T23:59:59',
    details: true,
    family: 'Corvidae',
    verified: false,
    notes: 'back\\slash',
  },
  {
    name: 'Corvus corone',
    count: 3,
    weight: null,
    collected: '2015-02-28T12:00:00',
    details: {},
    family: 'Corvidae',
    verified: true,
    notes: 'unicode: Zürich 東京 🦉',
  },
  {
    name: 'Garrulus glandarius',
    count: null,
    weight: 170,
    collected: '2019-05-01T10:00:00',
    details: [],
    family: 'Corvidae',
    verified: null,
    notes: 'plain',
  },
  {
    name: 'Troglodytes troglodytes\n(wren)',
    count: 7,
    weight: 9.5,
    collected: '2022-04-01T06:15:00',
    details: { emoji: '🦉', tab: 'a\tb' },
    family: 'Troglodytidae',
    verified: true,
    notes: null,
  },
  {
    name: 'Fringilla coelebs',
    count: 3,
    weight: 24.5,
    collected: '2019-05-01T10:00:00',
    details: null,
    family: 'Fringillidae',
    verified: false,
    notes: '',
  },
];

/** Timestamps as datastore_search writes them: `YYYY-MM-DDTHH:MM:SS`. */
const COLLECTED = [
  '2019-05-01T10:00:00',
  '2018-03-12T08:30:00',
  '2020-12-24T00:00:00',
  '2017-07-07T00:00:00',
  null,
  '2019-05-01T10:00:00',
  '2016-01-01T00:00:00',
  '2021-06-30T23:59:59',
  '2015-02-28T12:00:00',
  '2019-05-01T10:00:00',
  '2022-04-01T06:15:00',
  '2019-05-01T10:00:00',
];

/** The record datastore_search returns for row `index` (from 0). */
export function specimen(index: number): Record<string, unknown> {
  return { _id: index + 1, ...SPECIMEN_ROWS[index], collected: COLLECTED[index] };
}

export const ALL_SPECIMENS = SPECIMEN_ROWS.map((_, index) => specimen(index));
