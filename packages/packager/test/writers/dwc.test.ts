import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  InvalidDwcOptionsError,
  InvalidEmlTemplateError,
  loadExtension,
  parseExtensionXml,
  writeDwcArchive,
  type DwcOptions,
  type Field,
} from '../../src/writers/index.js';
import { buildZip, generate, parseDelimited, readZip } from './helpers.js';

const MEDIA_DEFAULTS = {
  type: 'StillImage',
  format: 'image/jpeg',
  identifier: '',
  title: '',
  license: 'http://creativecommons.org/licenses/by/4.0/',
  rightsHolder: '',
};

const EML =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<eml:eml xmlns:eml="eml://ecoinformatics.org/eml-2.1.1" packageId="{package_id}" system="http://gbif.org">' +
  '<dataset><title>{title} {0} stay</title><pubDate>{pub_date}</pubDate></dataset>' +
  '<additionalMetadata><metadata><gbif><dateStamp>{date_stamp}</dateStamp></gbif></metadata></additionalMetadata>' +
  '</eml:eml>\n';

const fields: Field[] = [
  { id: '_id', type: 'int' },
  { id: 'Scientific name', type: 'text' },
  { id: 'catalogNumber', type: 'text' },
  { id: 'Event date', type: 'text' },
  { id: 'eventDate', type: 'text' },
  { id: 'Collection kind', type: 'text' },
  { id: 'Notes', type: 'text' },
  { id: 'associatedMedia', type: 'text' },
  { id: 'GBIF ID', type: 'int' },
];

const records: Record<string, unknown>[] = [
  {
    _id: 1,
    'Scientific name': 'Puma concolor',
    catalogNumber: 'NHMUK 1',
    'Event date': '2020-01-02',
    eventDate: '2020-01-03',
    'Collection kind': 'Skins, "dry"',
    Notes: '{"colour":"tawny","weights":[1,2]}',
    associatedMedia: JSON.stringify([
      { identifier: 'http://x/1.jpg', title: 'Side', junk: 'ignored' },
      { identifier: 'http://x/2.png', format: 'image/png', license: null },
    ]),
    'GBIF ID': 123,
  },
  {
    _id: 2,
    'Scientific name': 'Felis catus',
    catalogNumber: null,
    Notes: 'plain [not json',
    associatedMedia: JSON.stringify({ identifier: 'http://x/3.jpg', rightsHolder: 'NHM' }),
  },
  {
    _id: 3,
    'Scientific name': 'Ursus, arctos',
    associatedMedia: [{ identifier: 'http://x/4.jpg', type: 'MovingImage' }],
  },
  { _id: 4, 'Scientific name': null, associatedMedia: 'not json' },
];

let tempDir: string;
beforeEach(async () => {
  tempDir = await mkdtemp(join(tmpdir(), 'dwc-test-'));
});
afterEach(async () => {
  // Every test also checks that nothing is left behind.
  expect(await readdir(tempDir)).toEqual([]);
  await rm(tempDir, { recursive: true, force: true });
});

function options(overrides: Partial<DwcOptions> = {}): DwcOptions {
  return {
    eml: EML,
    tempDir,
    now: new Date('2024-03-05T07:08:09.123Z'),
    packageId: 'abc-123',
    extensionFields: {
      associatedMedia: { extension: loadExtension('gbif_multimedia'), defaults: MEDIA_DEFAULTS },
    },
    ...overrides,
  };
}

async function archiveOf(
  list: Record<string, unknown>[],
  fieldList: Field[] = fields,
  opts: DwcOptions = options(),
) {
  const { zip, result } = await buildZip((archive) =>
    writeDwcArchive(
      archive,
      fieldList,
      generate(list.length, (i) => list[i]!),
      opts,
    ),
  );
  return { entries: await readZip(zip), result };
}

describe('writeDwcArchive', () => {
  it('maps fields to terms and writes every file of the archive', async () => {
    const { entries, result } = await archiveOf(records, fields, options({ forGbif: true }));
    expect(result).toEqual({
      rows: 4,
      files: ['meta.xml', 'eml.xml', 'occurrence.csv', 'multimedia.csv', 'gbif.json'],
    });
    expect([...entries.keys()]).toEqual(result.files);

    const occurrence = parseDelimited(entries.get('occurrence.csv')!.toString(), ',');
    expect(occurrence[0]).toEqual([
      '_id',
      'scientificName', // "Scientific name", camel-cased
      'catalogNumber', // exact name
      'eventDate', // "Event date"; the later "eventDate" field finds the term taken
      'dynamicProperties',
    ]);
    expect(occurrence.slice(1).map((row) => row.slice(0, 4))).toEqual([
      ['1', 'Puma concolor', 'NHMUK 1', '2020-01-02'],
      ['2', 'Felis catus', '', ''],
      ['3', 'Ursus, arctos', '', ''],
      ['4', '', '', ''],
    ]);
    // Unmatched fields, camel-cased, null ones left out, JSON object text decoded.
    expect(JSON.parse(occurrence[1]![4]!)).toEqual({
      eventdate: '2020-01-03',
      collectionKind: 'Skins, "dry"',
      notes: { colour: 'tawny', weights: [1, 2] },
      GBIFID: 123,
    });
    expect(JSON.parse(occurrence[2]![4]!)).toEqual({ notes: 'plain [not json' });
    expect(occurrence[3]![4]).toBe('');
    expect(occurrence[4]![4]).toBe('');

    // One row per media item, defaults merged in, extra keys ignored, null kept as empty.
    expect(entries.get('multimedia.csv')!.toString()).toBe(
      '_id,type,format,identifier,title,license,rightsHolder\n' +
        '1,StillImage,image/jpeg,http://x/1.jpg,Side,http://creativecommons.org/licenses/by/4.0/,\n' +
        '1,StillImage,image/png,http://x/2.png,,,\n' +
        '2,StillImage,image/jpeg,http://x/3.jpg,,http://creativecommons.org/licenses/by/4.0/,NHM\n' +
        '3,MovingImage,image/jpeg,http://x/4.jpg,,http://creativecommons.org/licenses/by/4.0/,\n',
    );

    expect(entries.get('meta.xml')!.toString()).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        '<archive xmlns="http://rs.tdwg.org/dwc/text/" metadata="eml.xml">\n' +
        '  <core encoding="UTF-8" linesTerminatedBy="\\n" fieldsTerminatedBy="," fieldsEnclosedBy="&quot;" ignoreHeaderLines="1" rowType="http://rs.tdwg.org/dwc/terms/Occurrence">\n' +
        '    <files>\n' +
        '      <location>occurrence.csv</location>\n' +
        '    </files>\n' +
        '    <id index="0"/>\n' +
        '    <field index="1" term="http://rs.tdwg.org/dwc/terms/scientificName"/>\n' +
        '    <field index="2" term="http://rs.tdwg.org/dwc/terms/catalogNumber"/>\n' +
        '    <field index="3" term="http://rs.tdwg.org/dwc/terms/eventDate"/>\n' +
        '    <field index="4" term="http://rs.tdwg.org/dwc/terms/dynamicProperties"/>\n' +
        '  </core>\n' +
        '  <extension encoding="UTF-8" linesTerminatedBy="\\n" fieldsTerminatedBy="," fieldsEnclosedBy="&quot;" ignoreHeaderLines="1" rowType="http://rs.gbif.org/terms/1.0/Multimedia">\n' +
        '    <files>\n' +
        '      <location>multimedia.csv</location>\n' +
        '    </files>\n' +
        '    <coreid index="0"/>\n' +
        '    <field index="1" term="http://purl.org/dc/terms/type"/>\n' +
        '    <field index="2" term="http://purl.org/dc/terms/format"/>\n' +
        '    <field index="3" term="http://purl.org/dc/terms/identifier"/>\n' +
        '    <field index="4" term="http://purl.org/dc/terms/title"/>\n' +
        '    <field index="5" term="http://purl.org/dc/terms/license"/>\n' +
        '    <field index="6" term="http://purl.org/dc/terms/rightsHolder"/>\n' +
        '  </extension>\n' +
        '</archive>\n',
    );

    expect(entries.get('eml.xml')!.toString()).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        '<eml:eml xmlns:eml="eml://ecoinformatics.org/eml-2.1.1" packageId="abc-123" system="http://gbif.org">' +
        '<dataset><title>{title} {0} stay</title><pubDate>2024-03-05</pubDate></dataset>' +
        '<additionalMetadata><metadata><gbif><dateStamp>2024-03-05T07:08:09Z</dateStamp></gbif></metadata></additionalMetadata>' +
        '</eml:eml>\n',
    );
    expect(JSON.parse(entries.get('gbif.json')!.toString())).toEqual({ time: 1709622489 });
  });

  it('leaves out gbif.json unless asked, and fills package_id with a UUID v4', async () => {
    const { entries, result } = await archiveOf(
      records.slice(0, 1),
      fields,
      options({ packageId: undefined }),
    );
    expect(result.files).not.toContain('gbif.json');
    expect(entries.get('eml.xml')!.toString()).toMatch(
      /packageId="[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"/,
    );
  });

  it('puts additional-extension fields in their own file and drops files with no data rows', async () => {
    const measurements = parseExtensionXml(
      `<?xml version="1.0"?>
      <extension xmlns="http://rs.gbif.org/extension/" xmlns:dc="http://purl.org/dc/terms/"
          name="MeasurementOrFact" rowType="http://rs.tdwg.org/dwc/terms/MeasurementOrFact">
        <property name="measurementType" qualName="http://rs.tdwg.org/dwc/terms/measurementType"/>
        <property name="measurementValue" qualName="http://rs.tdwg.org/dwc/terms/measurementValue"/>
      </extension>`,
    );
    expect(measurements.name).toBe('measurement_or_fact');
    const list: Field[] = [
      { id: '_id' },
      { id: 'scientificName' },
      { id: 'Measurement type' },
      { id: 'measurementValue' },
      { id: 'associatedMedia' },
    ];
    const opts = options({ additional: [measurements] });
    const kept = await archiveOf(
      [
        { _id: 'a', scientificName: 'X', 'Measurement type': 'length', measurementValue: 3 },
        { _id: 'b', scientificName: 'Y', 'Measurement type': null, measurementValue: null },
      ],
      list,
      opts,
    );
    // No media at all: multimedia.csv would hold only its header, so it is left out.
    expect(kept.result.files).toEqual([
      'meta.xml',
      'eml.xml',
      'occurrence.csv',
      'measurement_or_fact.csv',
    ]);
    expect(kept.entries.get('measurement_or_fact.csv')!.toString()).toBe(
      '_id,measurementType,measurementValue\na,length,3\n',
    );
    const meta = kept.entries.get('meta.xml')!.toString();
    expect(meta).toContain('<location>measurement_or_fact.csv</location>');
    expect(meta).not.toContain('multimedia');

    const dropped = await archiveOf(
      [{ _id: 'c', scientificName: 'Z', 'Measurement type': null, measurementValue: '' }],
      list,
      opts,
    );
    expect(dropped.result.files).toEqual(['meta.xml', 'eml.xml', 'occurrence.csv']);
  });

  it('keeps the core (header only) when there are no records, so the archive stays valid', async () => {
    const { entries, result } = await archiveOf([]);
    expect(result).toEqual({ rows: 0, files: ['meta.xml', 'eml.xml', 'occurrence.csv'] });
    expect(entries.get('occurrence.csv')!.toString()).toBe(
      '_id,scientificName,catalogNumber,eventDate,dynamicProperties\n',
    );
  });

  it('writes no eml.xml and no metadata attribute for an empty EML', async () => {
    const { entries } = await archiveOf(records.slice(0, 1), fields, options({ eml: '' }));
    expect([...entries.keys()]).not.toContain('eml.xml');
    expect(entries.get('meta.xml')!.toString()).toContain(
      '<archive xmlns="http://rs.tdwg.org/dwc/text/">',
    );
  });

  it('rejects bad options before reading any record', async () => {
    let pulled = 0;
    const counted = () =>
      generate(3, (i) => {
        pulled++;
        return records[i]!;
      });
    const attempt = (opts: DwcOptions, list: Field[] = fields) =>
      buildZip((archive) => writeDwcArchive(archive, list, counted(), opts));

    await expect(attempt(options({ eml: '<eml><unclosed></eml>' }))).rejects.toBeInstanceOf(
      InvalidEmlTemplateError,
    );
    await expect(attempt(options({ eml: '<a:eml>{pub_date}</a:eml>' }))).rejects.toMatchObject({
      code: 'BAD_EML_TEMPLATE',
    });
    await expect(attempt(options({ dynamicTerm: 'noSuchTerm' }))).rejects.toBeInstanceOf(
      InvalidDwcOptionsError,
    );
    await expect(attempt(options(), fields.slice(1))).rejects.toMatchObject({
      code: 'BAD_DWC_OPTIONS',
      details: { idField: '_id' },
    });
    await expect(
      attempt(options({ core: { rowType: 'x', name: '../evil', terms: [] } })),
    ).rejects.toMatchObject({ code: 'BAD_DWC_EXTENSION' });
    expect(pulled).toBe(0);
  });

  it('uses another id field as column 0 of every file', async () => {
    const list: Field[] = [{ id: '_id' }, { id: 'occurrenceID' }, { id: 'associatedMedia' }];
    const { entries } = await archiveOf(
      [{ _id: 1, occurrenceID: 'occ-1', associatedMedia: [{ identifier: 'u' }] }],
      list,
      options({ idField: 'occurrenceID' }),
    );
    // _id is then an ordinary field with no term: it goes to dynamicProperties.
    expect(entries.get('occurrence.csv')!.toString()).toBe(
      'occurrenceID,dynamicProperties\nocc-1,"{""_id"":1}"\n',
    );
    expect(entries.get('multimedia.csv')!.toString()).toMatch(/^occurrenceID,type,.*\nocc-1,/);
  });
});
