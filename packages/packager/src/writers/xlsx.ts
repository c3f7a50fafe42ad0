import { cell, unwritable } from './cell.js';
import { xmlText } from './xml.js';
import type { Field } from './types.js';

// Excel's worksheet limits (Excel specifications and limits, Excel 2007 and later).
export const XLSX_MAX_ROWS = 1_048_576;
export const XLSX_MAX_COLUMNS = 16_384;
export const XLSX_MAX_CELL_CHARS = 32_767;

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const PACKAGE_RELS_NS = 'http://schemas.openxmlformats.org/package/2006/relationships';
const DOC_RELS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

/**
 * The fixed parts of the package (everything but the worksheet), in the order they are
 * written: the smallest SpreadsheetML workbook Excel, LibreOffice and the usual libraries
 * open without repair: one sheet named `Data`, and a style sheet with the two cell formats
 * used (normal, and bold for the header row).
 */
export const XLSX_FIXED_PARTS: readonly (readonly [name: string, content: string])[] = [
  [
    '[Content_Types].xml',
    `${XML_DECLARATION}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
      '<Default Extension="xml" ContentType="application/xml"/>' +
      '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
      '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' +
      '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' +
      '</Types>',
  ],
  [
    '_rels/.rels',
    `${XML_DECLARATION}<Relationships xmlns="${PACKAGE_RELS_NS}">` +
      `<Relationship Id="rId1" Type="${DOC_RELS}/officeDocument" Target="xl/workbook.xml"/>` +
      '</Relationships>',
  ],
  [
    'xl/workbook.xml',
    `${XML_DECLARATION}<workbook xmlns="${MAIN_NS}" xmlns:r="${DOC_RELS}">` +
      // The view the sheet's frozen pane refers to (workbookViewId="0").
      '<bookViews><workbookView/></bookViews>' +
      '<sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>',
  ],
  [
    'xl/_rels/workbook.xml.rels',
    `${XML_DECLARATION}<Relationships xmlns="${PACKAGE_RELS_NS}">` +
      `<Relationship Id="rId1" Type="${DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>` +
      `<Relationship Id="rId2" Type="${DOC_RELS}/styles" Target="styles.xml"/>` +
      '</Relationships>',
  ],
  [
    'xl/styles.xml',
    `${XML_DECLARATION}<styleSheet xmlns="${MAIN_NS}">` +
      '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>' +
      '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>' +
      '<fills count="2"><fill><patternFill patternType="none"/></fill>' +
      '<fill><patternFill patternType="gray125"/></fill></fills>' +
      '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
      '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
      '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' +
      '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>' +
      '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>' +
      '</styleSheet>',
  ],
];

export const SHEET_PART = 'xl/worksheets/sheet1.xml';

/** The worksheet up to its first row: the header row is frozen so it stays in view. */
export const SHEET_HEAD =
  `${XML_DECLARATION}<worksheet xmlns="${MAIN_NS}">` +
  '<sheetViews><sheetView workbookViewId="0">' +
  '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' +
  '</sheetView></sheetViews><sheetData>';

export const SHEET_TAIL = '</sheetData></worksheet>';

/** `0` -> `A`, `25` -> `Z`, `26` -> `AA`, `16383` -> `XFD`. */
export function columnName(index: number): string {
  let name = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) {
    name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  }
  return name;
}

/** CKAN (PostgreSQL) types whose values are numbers even when they arrive as strings. */
const NUMERIC_TYPES = new Set([
  'int',
  'int2',
  'int4',
  'int8',
  'integer',
  'smallint',
  'bigint',
  'float',
  'float4',
  'float8',
  'real',
  'double precision',
  'numeric',
  'decimal',
  'number',
]);

const NUMBER_TEXT = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A string from a numeric field becomes a number cell only when Excel can hold it exactly:
 * beyond 15 significant digits Excel rounds (an int8 identifier would silently change), so
 * such values stay text.
 */
function numberFromText(text: string): string | undefined {
  if (!NUMBER_TEXT.test(text)) return undefined;
  const digits = text
    .replace(/[eE].*$/, '')
    .replace(/[^0-9]/g, '')
    .replace(/^0+/, '');
  if (digits.replace(/0+$/, '').length > 15) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? String(value) : undefined;
}

/**
 * Excel refuses more than 32,767 characters in a cell, so longer text is cut to that length
 * (without splitting a surrogate pair). The cut is silent in the sheet; the full value is in
 * the CSV/TSV formats, which have no such limit.
 */
function fitCell(text: string): string {
  if (text.length <= XLSX_MAX_CELL_CHARS) return text;
  const end = XLSX_MAX_CELL_CHARS;
  const last = text.charCodeAt(end - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? end - 1 : end);
}

function inlineString(ref: string, text: string, style = ''): string {
  const fitted = fitCell(text);
  // Without xml:space="preserve" Excel trims leading and trailing white space.
  const first = fitted.charCodeAt(0);
  const last = fitted.charCodeAt(fitted.length - 1);
  const space = first <= 32 || last <= 32 ? ' xml:space="preserve"' : '';
  return `<c r="${ref}"${style} t="inlineStr"><is><t${space}>${xmlText(fitted)}</t></is></c>`;
}

/** Row 1: the field ids, bold. */
export function sheetHeaderRow(fields: readonly Field[]): string {
  const cells = fields.map((field, i) => inlineString(`${columnName(i)}1`, field.id, ' s="1"'));
  return `<row r="1">${cells.join('')}</row>`;
}

/**
 * Encodes records as `<row>` elements: numbers as number cells, booleans as boolean cells,
 * everything else as inline strings (no shared-string table, which would have to be held in
 * memory until the end); empty cells are left out.
 */
export function sheetRowEncoder(
  fields: readonly Field[],
): (record: Record<string, unknown>, rowNumber: number) => string {
  const ids = fields.map((field) => field.id);
  const columns = fields.map((_, i) => columnName(i));
  const numeric = fields.map((field) => NUMERIC_TYPES.has((field.type ?? '').toLowerCase()));
  const count = ids.length;
  return (record, rowNumber) => {
    try {
      let row = `<row r="${rowNumber}">`;
      for (let i = 0; i < count; i++) {
        const value = record[ids[i]!];
        if (value === null || value === undefined || value === '') continue;
        const ref = columns[i]! + rowNumber;
        if (typeof value === 'number') {
          row += Number.isFinite(value)
            ? `<c r="${ref}"><v>${value}</v></c>`
            : inlineString(ref, String(value));
        } else if (typeof value === 'boolean') {
          row += `<c r="${ref}" t="b"><v>${value ? 1 : 0}</v></c>`;
        } else if (typeof value === 'string') {
          const number = numeric[i] ? numberFromText(value) : undefined;
          row +=
            number === undefined ? inlineString(ref, value) : `<c r="${ref}"><v>${number}</v></c>`;
        } else {
          const text = cell(value);
          if (text !== '') row += inlineString(ref, text);
        }
      }
      return `${row}</row>`;
    } catch (error) {
      throw unwritable(error, fields, record);
    }
  };
}
