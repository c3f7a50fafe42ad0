import { SaxesParser } from 'saxes';
import { InvalidEmlTemplateError } from './errors.js';
import { xmlAttribute } from './xml.js';
import type { DwcFile } from './dwc-plan.js';

/**
 * The archive descriptor (Darwin Core text guide): one `<core>` or `<extension>` per data
 * file, with the CSV dialect the writers use. `linesTerminatedBy="\n"` is the two characters
 * backslash and n, the escaped form the guide uses.
 */
export function metaXml(
  files: readonly { file: DwcFile; location: string }[],
  eml: boolean,
): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<archive xmlns="http://rs.tdwg.org/dwc/text/"${eml ? ' metadata="eml.xml"' : ''}>`,
  ];
  for (const { file, location } of files) {
    const element = file.core ? 'core' : 'extension';
    lines.push(
      `  <${element} encoding="UTF-8" linesTerminatedBy="\\n" fieldsTerminatedBy="," ` +
        `fieldsEnclosedBy="&quot;" ignoreHeaderLines="1" rowType="${xmlAttribute(file.extension.rowType)}">`,
      '    <files>',
      `      <location>${xmlAttribute(location)}</location>`,
      '    </files>',
      file.core ? '    <id index="0"/>' : '    <coreid index="0"/>',
      ...file.columns.map(
        (term, i) => `    <field index="${i + 1}" term="${xmlAttribute(term.qualName)}"/>`,
      ),
      `  </${element}>`,
    );
  }
  lines.push('</archive>', '');
  return lines.join('\n');
}

/**
 * Fills `{package_id}`, `{pub_date}` (`YYYY-MM-DD`) and `{date_stamp}` (`YYYY-MM-DDTHH:MM:SSZ`),
 * both in UTC, leaving every other brace alone (ckanpackager used Python's `str.format`, which
 * choked on any other brace in the XML), and checks that the result is well-formed XML.
 */
export function fillEml(template: string, packageId: string, now: Date): string {
  const iso = now.toISOString();
  const eml = template
    .replaceAll('{package_id}', packageId)
    .replaceAll('{pub_date}', iso.slice(0, 10))
    .replaceAll('{date_stamp}', `${iso.slice(0, 19)}Z`);
  const parser = new SaxesParser({ xmlns: true });
  let root = false;
  parser.on('opentag', () => {
    root = true;
  });
  try {
    parser.write(eml).close();
  } catch (error) {
    throw new InvalidEmlTemplateError((error as Error).message);
  }
  if (!root) throw new InvalidEmlTemplateError('it has no root element');
  return eml;
}

/** `gbif.json`: when the archive was made, in Unix seconds. */
export function gbifJson(now: Date): string {
  return `${JSON.stringify({ time: Math.floor(now.getTime() / 1000) })}\n`;
}
