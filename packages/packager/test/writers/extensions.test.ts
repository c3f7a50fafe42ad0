import { describe, expect, it } from 'vitest';
import {
  camelCase,
  cell,
  InvalidExtensionError,
  loadExtension,
  parseExtensionXml,
  UnknownExtensionError,
  type ShippedExtension,
} from '../../src/writers/index.js';

const DWC = 'http://rs.tdwg.org/dwc/terms/';
const DCTERMS = 'http://purl.org/dc/terms/';

describe('cell', () => {
  it.each([
    [null, ''],
    [undefined, ''],
    ['text, as is "quoted"', 'text, as is "quoted"'],
    [0, '0'],
    [-0, '0'],
    [-12.5, '-12.5'],
    [1e21, '1e+21'],
    [0.1 + 0.2, '0.30000000000000004'],
    [Number.NaN, 'NaN'],
    [true, 'true'],
    [false, 'false'],
    [12n, '12'],
    [{ a: 1, b: [null, 'x'] }, '{"a":1,"b":[null,"x"]}'],
    [[], '[]'],
    [['a', { b: 'é' }], '["a",{"b":"é"}]'],
    [new Date('2020-01-02T03:04:05Z'), '2020-01-02T03:04:05.000Z'],
  ])('%s -> %j', (value, text) => {
    expect(cell(value)).toBe(text);
  });
});

describe('camelCase', () => {
  it.each([
    ['Event date', 'eventDate'],
    ['Taxon resource ID', 'taxonResourceID'],
    ['scientific name', 'scientificName'],
    ['  Extra   spaces  here ', 'extraSpacesHere'],
    ['GBIF ID', 'GBIFID'],
    ['catalogue NUMBER', 'catalogueNUMBER'],
    // Single words are lower-cased like any first word (exact names are matched before this).
    ['scientificName', 'scientificname'],
    ['mixedCase second', 'mixedcaseSecond'],
    ['Year 2020', 'year2020'],
    ['', ''],
  ])('%j -> %j', (name, expected) => {
    expect(camelCase(name)).toBe(expected);
  });
});

describe('loadExtension', () => {
  it('ships the Darwin Core Occurrence core', () => {
    const occurrence = loadExtension('dwc_occurrence');
    expect(occurrence.rowType).toBe(`${DWC}Occurrence`);
    expect(occurrence.name).toBe('occurrence');
    expect(occurrence.terms).toHaveLength(198);
    const byName = new Map(occurrence.terms.map((term) => [term.name, term.qualName]));
    for (const name of [
      'occurrenceID',
      'basisOfRecord',
      'catalogNumber',
      'scientificName',
      'eventDate',
      'decimalLatitude',
      'decimalLongitude',
      'dynamicProperties',
      'associatedMedia',
      'taxonRank',
      'class',
      'order',
    ]) {
      expect(byName.get(name), name).toBe(`${DWC}${name}`);
    }
    for (const name of ['modified', 'license', 'rightsHolder', 'references']) {
      expect(byName.get(name), name).toBe(`${DCTERMS}${name}`);
    }
    expect(byName.get('type')).toBe('http://purl.org/dc/elements/1.1/type');
    // Every term's qualified name ends with its name.
    for (const term of occurrence.terms) expect(term.qualName.endsWith(`/${term.name}`)).toBe(true);
  });

  it('ships the GBIF Multimedia extension', () => {
    const multimedia = loadExtension('gbif_multimedia');
    expect(multimedia.rowType).toBe('http://rs.gbif.org/terms/1.0/Multimedia');
    expect(multimedia.name).toBe('multimedia');
    expect(multimedia.terms).toEqual(
      [
        'type',
        'format',
        'identifier',
        'references',
        'title',
        'description',
        'created',
        'creator',
        'contributor',
        'publisher',
        'audience',
        'source',
        'license',
        'rightsHolder',
      ].map((name) => ({ name, qualName: `${DCTERMS}${name}` })),
    );
  });

  it('returns a copy each time and refuses unknown names', () => {
    const first = loadExtension('gbif_multimedia');
    first.terms.length = 0;
    expect(loadExtension('gbif_multimedia').terms).toHaveLength(14);
    expect(() => loadExtension('dwc_event' as ShippedExtension)).toThrow(UnknownExtensionError);
  });
});

describe('parseExtensionXml', () => {
  it('reads a GBIF extension definition', () => {
    const extension = parseExtensionXml(`<?xml version="1.0" encoding="UTF-8"?>
<?xml-stylesheet type="text/xsl" href="/style/human.xsl"?>
<extension xmlns="http://rs.gbif.org/extension/"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:dc="http://purl.org/dc/terms/"
    xsi:schemaLocation="http://rs.gbif.org/extension/ http://rs.gbif.org/schema/extension.xsd"
    dc:title="Simple Multimedia" name="Multimedia"
    namespace="http://rs.gbif.org/terms/1.0" rowType="http://rs.gbif.org/terms/1.0/Multimedia">
  <!-- two of its properties, quoted both ways -->
  <property name='type' namespace='http://purl.org/dc/terms/' qualName='http://purl.org/dc/terms/type' required='false'/>
  <property name="identifier" namespace="http://purl.org/dc/terms/" qualName="http://purl.org/dc/terms/identifier" dc:description="The URL &amp; more"/>
</extension>`);
    expect(extension).toEqual({
      rowType: 'http://rs.gbif.org/terms/1.0/Multimedia',
      name: 'multimedia',
      terms: [
        { name: 'type', qualName: `${DCTERMS}type` },
        { name: 'identifier', qualName: `${DCTERMS}identifier` },
      ],
    });
  });

  it.each([
    ['not XML', 'this is not xml'],
    ['unclosed', '<extension name="A" rowType="r"><property name="a" qualName="q">'],
    ['wrong root', '<archive name="A" rowType="r"><property name="a" qualName="q"/></archive>'],
    ['no rowType', '<extension name="A"><property name="a" qualName="q"/></extension>'],
    ['no name', '<extension rowType="r"><property name="a" qualName="q"/></extension>'],
    ['no properties', '<extension name="A" rowType="r"></extension>'],
    ['no qualName', '<extension name="A" rowType="r"><property name="a"/></extension>'],
    [
      'duplicate term',
      '<extension name="A" rowType="r"><property name="a" qualName="q"/><property name="a" qualName="q"/></extension>',
    ],
    [
      'unsafe name',
      '<extension name="../x" rowType="r"><property name="a" qualName="q"/></extension>',
    ],
  ])('rejects a definition with %s', (_, xml) => {
    expect(() => parseExtensionXml(xml)).toThrow(InvalidExtensionError);
  });
});
