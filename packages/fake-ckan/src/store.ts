import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export type Statement = Database.Statement<unknown[], unknown>;

/** One SQLite connection with its prepared statements. */
export class Connection {
  private readonly statements = new Map<string, Statement>();

  constructor(readonly db: Database.Database) {}

  /** Prepared once per connection; queries repeat page after page. */
  prepare(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      // Filters and sorts make many shapes of query; a bound keeps the cache small.
      if (this.statements.size >= 500) this.statements.clear();
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

/** Runs tasks one at a time, in order. */
class Lock {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T> | T): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

export interface StoreOptions {
  /** A file path or `:memory:`; default a file in a new temporary folder. */
  file: string | undefined;
  readConnections: number;
  /** Registers SQL functions; called for every connection. */
  setup: (db: Database.Database) => void;
}

/**
 * The SQLite database holding every resource: one writing connection and a pool of reading
 * ones. A response streams its page while holding a reading connection (better-sqlite3 allows
 * nothing else on a connection while a query is being iterated), so with a file several
 * responses stream at once (WAL lets them read while a resource is being loaded); with
 * `:memory:` there is a single connection and everything takes turns on it.
 */
export class Store {
  private readonly writer: Connection;
  private readonly writerLock = new Lock();
  private readonly idle: Connection[] = [];
  private readonly all: Connection[] = [];
  private readonly waiting: ((connection: Connection) => void)[] = [];
  private readonly maxReaders: number;
  private readonly file: string;
  private readonly tempDir: string | undefined;

  constructor(private readonly options: StoreOptions) {
    this.tempDir = options.file ? undefined : mkdtempSync(join(tmpdir(), 'fake-ckan-'));
    this.file = options.file ?? join(this.tempDir!, 'datastore.sqlite');
    const memory = this.file === ':memory:';
    this.maxReaders = memory ? 1 : Math.max(1, options.readConnections);
    const db = new Database(this.file);
    if (memory) {
      db.pragma('journal_mode = MEMORY');
    } else {
      // A throw-away database: durability is not wanted, load speed is.
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = OFF');
    }
    db.pragma('cache_size = -262144');
    db.pragma('temp_store = MEMORY');
    options.setup(db);
    this.writer = new Connection(db);
    this.all.push(this.writer);
    if (memory) this.idle.push(this.writer);
  }

  /**
   * Drops tables whose names start with `prefix`: a database file given by the caller may hold
   * the tables of an earlier run (resources themselves are not kept between runs).
   */
  dropTables(prefix: string): Promise<void> {
    return this.write((connection) => {
      const names = connection.db
        .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, ?) = ?`)
        .pluck()
        .all(prefix.length, prefix) as string[];
      for (const name of names) connection.db.exec(`DROP TABLE "${name}"`);
    });
  }

  private get memory(): boolean {
    return this.file === ':memory:';
  }

  /** Runs `task` with the writing connection (in `:memory:` mode: the only connection). */
  write<T>(task: (connection: Connection) => Promise<T> | T): Promise<T> {
    if (this.memory) return this.read(task);
    return this.writerLock.run(() => task(this.writer));
  }

  /** Runs `task` with a reading connection of its own until the returned promise settles. */
  async read<T>(task: (connection: Connection) => Promise<T> | T): Promise<T> {
    const connection = await this.acquire();
    try {
      return await task(connection);
    } finally {
      this.release(connection);
    }
  }

  private acquire(): Promise<Connection> {
    const free = this.idle.pop();
    if (free) return Promise.resolve(free);
    if (this.all.length - (this.memory ? 0 : 1) < this.maxReaders) {
      const db = new Database(this.file, { readonly: true });
      db.pragma('cache_size = -65536');
      db.pragma('mmap_size = 1073741824');
      this.options.setup(db);
      const connection = new Connection(db);
      this.all.push(connection);
      return Promise.resolve(connection);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(connection: Connection): void {
    const next = this.waiting.shift();
    if (next) next(connection);
    else this.idle.push(connection);
  }

  close(): void {
    for (const connection of this.all) connection.db.close();
    if (this.tempDir) rmSync(this.tempDir, { recursive: true, force: true });
  }
}
