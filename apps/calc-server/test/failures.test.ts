// Failed runs: what their answers, logs and tracebacks show, and what they leave on disk.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gridFiles, gridIni, postArchive, serverForFile, waitStatus, zipOf } from './helpers.js';

const running = serverForFile();

/** Everything a client can read about a job: its status, traceback and log, as text. */
async function seenByClients(id: number): Promise<string> {
  const texts = [];
  for (const path of ['status', 'traceback', 'log/size', 'log/:']) {
    texts.push(await (await fetch(`${running.base}/v1/calc/${id}/${path}`)).text());
  }
  return texts.join('\n');
}

async function refusedRun(form: FormData) {
  const response = await fetch(`${running.base}/v1/calc/run`, { method: 'POST', body: form });
  expect(response.status).toBe(500);
  const text = await response.text();
  return { text, ...(JSON.parse(text) as { traceback: string[]; job_id: number }) };
}

/** A grid intersection whose job.ini names a field the data does not have: it fails running. */
async function failingRun(field: 'first_field' | 'second_field'): Promise<number> {
  const run = await postArchive(
    `${running.base}/v1/calc/run`,
    await zipOf({
      'job.ini': gridIni.replace(`${field} = name`, `${field} = nosuch`),
      ...gridFiles,
    }),
  );
  const { job_id: id } = (await run.json()) as { job_id: number };
  expect(await waitStatus(running.base, id)).toBe('failed');
  return id;
}

function archiveForm(archive: Buffer): FormData {
  const form = new FormData();
  form.append('archive', new Blob([archive]), 'job.zip');
  return form;
}

const longName = `${'a'.repeat(300)}.geojson`;
const shortened = `${'a'.repeat(60)}...`;

describe('failed runs', () => {
  it('answer a refused run with the error lines only: no stack frames, no server paths', async () => {
    const cases: [FormData, string][] = [
      [archiveForm(await zipOf({ 'data.csv': 'a\n' })), 'There are no .ini files in the archive'],
      [
        archiveForm(await zipOf({ 'job.ini': gridIni, [longName]: '{}' })),
        `The archive entry "${shortened}" cannot be extracted: name too long`,
      ],
      [
        (() => {
          const form = new FormData();
          form.append('job_ini', new Blob([gridIni]), 'job.ini');
          form.append('input', new Blob(['{}']), longName);
          return form;
        })(),
        `The input file "${shortened}" cannot be stored: name too long`,
      ],
    ];
    for (const [form, message] of cases) {
      const refused = await refusedRun(form);
      expect(refused.traceback).toEqual([message]);
      expect(refused.text).not.toContain(running.dataDir);
      expect(
        await (await fetch(`${running.base}/v1/calc/${refused.job_id}/traceback`)).json(),
      ).toEqual([message]);
      const seen = await seenByClients(refused.job_id);
      expect(seen).not.toContain(running.dataDir);
      expect(seen).not.toMatch(/\bat .*:\d+:\d+/);
    }
  });

  it('show a job failing in its process with its error lines only', async () => {
    const id = await failingRun('first_field');
    expect(await (await fetch(`${running.base}/v1/calc/${id}/traceback`)).json()).toEqual([
      'MissingFieldError: grid.geojson has no field "nosuch"; its fields are: name',
    ]);
    const log = (await (await fetch(`${running.base}/v1/calc/${id}/log/:`)).json()) as string[][];
    expect(log.map((row) => row[3])).toContain('intersecting grid.geojson with square.geojson');
    const seen = await seenByClients(id);
    expect(seen).not.toContain(running.dataDir);
    expect(seen).not.toMatch(/\bat .*:\d+:\d+/);
    const oqparam = await fetch(`${running.base}/v1/calc/${id}/extract/oqparam`);
    expect(Buffer.from(await oqparam.arrayBuffer()).toString('latin1')).not.toContain(
      running.dataDir,
    );
  });

  it('leave only what their status pages need: the job folder goes', async () => {
    const refused = await refusedRun(
      archiveForm(await zipOf({ 'job.ini': gridIni, 'grid.geojson': gridFiles['grid.geojson'] })),
    );
    expect(refused.traceback).toEqual(['No such file: square.geojson (second_file)']);
    const failed = await failingRun('second_field');
    await running.server.engine.whenIdle();
    for (const id of [refused.job_id, failed]) {
      expect([id, existsSync(join(running.dataDir, `calc_${id}`))]).toEqual([id, false]);
      expect(await (await fetch(`${running.base}/v1/calc/${id}/status`)).json()).toMatchObject({
        status: 'failed',
      });
      expect(
        ((await (await fetch(`${running.base}/v1/calc/${id}/traceback`)).json()) as string[])
          .length,
      ).toBe(1);
    }
    // The incoming uploads of the requests are gone too.
    expect(readdirSync(join(running.dataDir, 'incoming'))).toEqual([]);
  });
});
