import { readFileSync } from 'node:fs';
import { forkModule } from '@geoworks/workers';

/**
 * The ```ts block a package README must hold for its runnable example (`example`, a file URL):
 * the file word for word, so the README never shows code the tests do not run.
 */
export function exampleBlock(example: URL): string {
  return `\`\`\`ts\n${readFileSync(example, 'utf8')}\`\`\``;
}

export interface RunExampleOptions {
  args?: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs a TypeScript example as a user would from this repository (tsx, the workspace packages
 * from their sources) and gives its output; rejects with its stderr when it exits with an error.
 */
export async function runExample(
  example: URL,
  options: RunExampleOptions = {},
): Promise<{ stdout: string; stderr: string }> {
  const child = forkModule(example, options.args ?? [], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(
    (resolve, reject) => {
      child.once('error', reject);
      child.once('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
    },
  );
  if (code !== 0) {
    throw new Error(`the example exited with ${signal ?? `code ${code}`}:\n${stderr}`);
  }
  return { stdout, stderr };
}
