import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipArchive } from 'archiver';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import {
  writeTableEntry,
  XLSX_MAX_CELL_CHARS,
  XLSX_MAX_ROWS,
  XlsxLimitError,
  type Field,
} from '../../src/writers/index.js';
import { buildZip, generate, readSheet, readZip, type SheetCell } from './helpers.js';

const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';

async function xlsxOf(fields: Field[], records: Record<string, unknown>[]) {
  const { zip, result } = await buildZip((archive) =>
    writeTableEntry(
      archive,
      'xlsx',
      fields,
      generate(records.length, (i) => records[i]!),
    ),
  );
  const outer = await readZip(zip);
  expect([...outer.keys()]).toEqual(['resource.xlsx']);
  const xlsx = outer.get('resource.xlsx')!;
  expect(result.bytes).toBe(xlsx.length);
  return { xlsx, parts: await readZip(xlsx), result };
}

const fields: Field[] = [
  { id: '_id', type: 'int' },
  { id: 'text', type: 'text' },
  { id: 'amount', type: 'numeric' },
  { id: 'big', type: 'int8' },
  { id: 'flag', type: 'bool' },
  { id: 'data', type: 'json' },
];

describe('writeTableEntry, XLSX', () => {
  it('writes a well-formed package with one sheet named Data', async () => {
    const { parts } = await xlsxOf(fields, [{ _id: 1, text: 'a' }]);
    expect([...parts.keys()]).toEqual([
      '[Content_Types].xml',
      '_rels/.rels',
      'xl/workbook.xml',
      'xl/_rels/workbook.xml.rels',
      'xl/styles.xml',
      'xl/worksheets/sheet1.xml',
    ]);
    const text = (name: string) => parts.get(name)!.toString('utf8');
    expect(text('[Content_Types].xml')).toContain(
      '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>',
    );
    expect(text('_rels/.rels')).toContain('Target="xl/workbook.xml"');
    expect(text('xl/workbook.xml')).toContain('<sheet name="Data" sheetId="1" r:id="rId1"/>');
    expect(text('xl/_rels/workbook.xml.rels')).toContain(
      'Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"',
    );
    // Every part is XML a namespace-aware parser accepts.
    for (const [name, content] of parts) {
      expect(() => readSheet(content.toString('utf8')), name).not.toThrow();
    }
    expect(readSheet(text('xl/worksheets/sheet1.xml')).root).toBe(`{${MAIN_NS}}worksheet`);
  });

  it('writes numbers as numbers, booleans as booleans and the rest as inline strings', async () => {
    const records = [
      {
        _id: 1,
        text: 'Smith, "J" <b> & co',
        amount: 12.5,
        big: '9007199254740993123',
        flag: true,
        data: { a: [1, 2] },
      },
      { _id: 2, text: '  padded ', amount: '-3.25e2', big: '42', flag: false, data: null },
      { _id: 3, text: 'line\r\nbreak\ttab', amount: Number.NaN, big: null, data: ['x'] },
      { _id: 4, text: 'emoji 🦊 and ünïcode', amount: 'not a number', big: '007' },
      { _id: 5, text: '' },
    ];
    const { parts, result } = await xlsxOf(fields, records);
    expect(result.rows).toBe(5);
    const sheet = readSheet(parts.get('xl/worksheets/sheet1.xml')!.toString('utf8'));
    expect(sheet.rows.map((row) => row.r)).toEqual(['1', '2', '3', '4', '5', '6']);
    const header = sheet.rows[0]!.cells;
    expect(header.map((c) => [c.ref, c.type, c.style, c.value])).toEqual(
      fields.map((field, i) => [`${'ABCDEF'[i]}1`, 'inlineStr', '1', field.id]),
    );
    const cells = (row: number) =>
      sheet.rows[row]!.cells.map((c: SheetCell) => [c.ref, c.type ?? 'n', c.value]);
    expect(cells(1)).toEqual([
      ['A2', 'n', '1'],
      ['B2', 'inlineStr', 'Smith, "J" <b> & co'],
      ['C2', 'n', '12.5'],
      // More digits than Excel keeps: stays text rather than being rounded.
      ['D2', 'inlineStr', '9007199254740993123'],
      ['E2', 'b', '1'],
      ['F2', 'inlineStr', '{"a":[1,2]}'],
    ]);
    expect(cells(2)).toEqual([
      ['A3', 'n', '2'],
      ['B3', 'inlineStr', '  padded '],
      // A numeric field's numeric text is a number.
      ['C3', 'n', '-325'],
      ['D3', 'n', '42'],
      ['E3', 'b', '0'],
    ]);
    expect(cells(3)).toEqual([
      ['A4', 'n', '3'],
      ['B4', 'inlineStr', 'line\r\nbreak\ttab'],
      ['C4', 'inlineStr', 'NaN'],
      ['F4', 'inlineStr', '["x"]'],
    ]);
    expect(cells(4)).toEqual([
      ['A5', 'n', '4'],
      ['B5', 'inlineStr', 'emoji 🦊 and ünïcode'],
      ['C5', 'inlineStr', 'not a number'],
      // Numeric text of a numeric field, leading zeros and all, is a number.
      ['D5', 'n', '7'],
    ]);
    expect(cells(5)).toEqual([['A6', 'n', '5']]);
    const xml = parts.get('xl/worksheets/sheet1.xml')!.toString('utf8');
    expect(xml).toContain('<t xml:space="preserve">  padded </t>');
    expect(xml).toContain('line&#13;\nbreak\ttab');
  });

  it('strips characters XML forbids and keeps literal _xHHHH_ text', async () => {
    const { parts } = await xlsxOf(
      [{ id: 'v' }],
      [
        { v: 'bell\u0007 nul\u0000 vt\u000b ok' },
        { v: 'lone \ud800 surrogate \udc00 and \uffff' },
        { v: 'literal _x0041_x0042_ stays' },
      ],
    );
    const sheet = readSheet(parts.get('xl/worksheets/sheet1.xml')!.toString('utf8'));
    expect(sheet.rows.slice(1).map((row) => row.cells[0]!.value)).toEqual([
      'bell nul vt ok',
      'lone  surrogate  and ',
      'literal _x0041_x0042_ stays',
    ]);
  });

  it(`cuts text to Excel's ${XLSX_MAX_CELL_CHARS} characters without splitting a surrogate pair`, async () => {
    const long = 'a'.repeat(XLSX_MAX_CELL_CHARS + 10);
    const pair = `${'b'.repeat(XLSX_MAX_CELL_CHARS - 1)}🦊tail`;
    const { parts } = await xlsxOf([{ id: 'v' }], [{ v: long }, { v: pair }]);
    const sheet = readSheet(parts.get('xl/worksheets/sheet1.xml')!.toString('utf8'));
    expect(sheet.rows[1]!.cells[0]!.value).toBe('a'.repeat(XLSX_MAX_CELL_CHARS));
    expect(sheet.rows[2]!.cells[0]!.value).toBe('b'.repeat(XLSX_MAX_CELL_CHARS - 1));
  });

  // A spreadsheet reader written independently of the writer (exceljs, a dev dependency, so
  // the check always runs) opens the workbook and sees the sheet, the frozen header and values.
  it('is a workbook that a spreadsheet reader opens, with the values and frozen header', async () => {
    const { xlsx } = await xlsxOf(fields, [
      { _id: 1, text: 'Smith, "J" <b> & co', amount: 12.5, flag: true, data: { a: [1] } },
      { _id: 2, text: '  padded\nline ', amount: '-3.25e2', flag: false },
    ]);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsx as unknown as ArrayBuffer);
    expect(book.worksheets.map((sheet) => sheet.name)).toEqual(['Data']);
    const sheet = book.getWorksheet('Data')!;
    expect(sheet.views).toMatchObject([
      { state: 'frozen', xSplit: 0, ySplit: 1, topLeftCell: 'A2' },
    ]);
    const rows: unknown[][] = [];
    for (let row = 1; row <= sheet.rowCount; row++) {
      rows.push(
        Array.from({ length: fields.length }, (_, column) => {
          const value = sheet.getRow(row).getCell(column + 1).value;
          return value ?? null;
        }),
      );
    }
    expect(rows).toEqual([
      ['_id', 'text', 'amount', 'big', 'flag', 'data'],
      [1, 'Smith, "J" <b> & co', 12.5, null, true, '{"a":[1]}'],
      [2, '  padded\nline ', -325, null, false, null],
    ]);
  });

  it('refuses more columns than a worksheet holds, before writing anything', async () => {
    const wide = Array.from({ length: 16_385 }, (_, i) => ({ id: `c${i}` }));
    await expect(
      buildZip((archive) =>
        writeTableEntry(
          archive,
          'xlsx',
          wide,
          generate(1, () => ({})),
        ),
      ),
    ).rejects.toMatchObject({ code: 'XLSX_TOO_MANY_COLUMNS' });
  });

  it(`fails clearly at row ${XLSX_MAX_ROWS.toLocaleString('en')} (the header is row 1)`, async () => {
    let pulled = 0;
    const archive = new ZipArchive({ zlib: { level: 1 } });
    const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });
    const writing = pipeline(archive, discard);
    const failing = writeTableEntry(
      archive,
      'xlsx',
      [{ id: 'n' }],
      generate(XLSX_MAX_ROWS + 5, (i) => {
        pulled++;
        return { n: i };
      }),
    );
    await expect(failing).rejects.toBeInstanceOf(XlsxLimitError);
    await expect(failing).rejects.toMatchObject({ code: 'XLSX_TOO_MANY_ROWS', kind: 'too-large' });
    // The row that does not fit is the last one read; the zip fails with the same error.
    expect(pulled).toBe(XLSX_MAX_ROWS);
    await expect(writing).rejects.toBeInstanceOf(XlsxLimitError);
  }, 60_000);
});
