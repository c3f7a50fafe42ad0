import type { Calculation, LogRow, Output } from './types.js';

/** `[2024-08-01T12:00:00.12] INFO MainProcess: message` */
export function formatLogRow(row: LogRow): string {
  return `[${row.timestamp}] ${row.level.toUpperCase()} ${row.process}: ${row.message}`;
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) =>
        column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function clip(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > width ? `${flat.slice(0, width - 3)}...` : flat;
}

export function sizeText(sizeMb: number | null): string {
  return sizeMb === null ? '-' : sizeMb.toFixed(2);
}

export function calculationsTable(calculations: Calculation[]): string {
  return table(
    ['ID', 'STATUS', 'MODE', 'OWNER', 'STARTED', 'SIZE_MB', 'DESCRIPTION'],
    calculations.map((calc) => [
      String(calc.id),
      calc.status,
      calc.calculationMode,
      calc.owner ?? '-',
      calc.startTimeText ?? '-',
      sizeText(calc.sizeMb),
      clip(calc.description, 60),
    ]),
  );
}

export function calculationDetails(calc: Calculation): string {
  const rows: [string, string][] = [
    ['id', String(calc.id)],
    ['status', calc.status],
    ['running', calc.isRunning ? 'yes' : 'no'],
    ['mode', calc.calculationMode],
    ['description', calc.description],
    ['owner', calc.owner ?? '-'],
    ['parent', calc.parentId === null ? '-' : String(calc.parentId)],
    ['started', calc.startTimeText ?? '-'],
    ['size_mb', sizeText(calc.sizeMb)],
    ['abortable', calc.abortable ? 'yes' : 'no'],
  ];
  const width = Math.max(...rows.map(([key]) => key.length)) + 1;
  return rows.map(([key, value]) => `${`${key}:`.padEnd(width)} ${value}`).join('\n');
}

export function outputsTable(outputs: Output[]): string {
  return table(
    ['ID', 'NAME', 'TYPE', 'FORMATS', 'SIZE_MB'],
    outputs.map((output) => [
      String(output.id),
      output.name,
      output.type,
      output.outtypes.join(','),
      sizeText(output.sizeMb),
    ]),
  );
}
