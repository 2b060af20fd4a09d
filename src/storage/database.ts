import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { ClawgateError } from '../protocol/clawgate-error.ts';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations.ts';

/** Sessions, transcripts, runs and idempotency records, in the state directory. */
export const DATABASE_FILE_NAME = 'clawgate.db';
/** A CLI command or `sqlite3 .backup` may hold a lock for a moment; wait that long before failing a write. */
export const BUSY_TIMEOUT_MS = 5_000;
/** "ClGw" in the file header (`PRAGMA application_id`), so a foreign SQLite file is refused, not migrated. */
export const APPLICATION_ID = 0x436c4777;

/** SQLite primary result codes that mean the bytes on disk are not a usable database. */
const SQLITE_CORRUPT = 11;
const SQLITE_NOTADB = 26;

export type StorageErrorCode = 'STORAGE_NOT_A_DATABASE' | 'STORAGE_TOO_NEW' | 'STORAGE_OPEN_FAILED';

/** The database cannot be used as it is; the message says which file and what the operator should do. */
export class StorageError extends ClawgateError {
  declare readonly code: StorageErrorCode;
  readonly path: string;
  constructor(code: StorageErrorCode, path: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'StorageError';
    this.path = path;
  }
}

export function databasePath(stateDir: string): string {
  return join(stateDir, DATABASE_FILE_NAME);
}

/**
 * Opens (creating if absent) `<stateDir>/clawgate.db` and brings its schema up to date. A file that is not a
 * clawgate database, is corrupt, or was written by a newer clawgate is refused with a StorageError and left
 * exactly as it was: the checks below only read, and nothing is written before they pass.
 */
export function openDatabase(stateDir: string): DatabaseSync {
  const path = databasePath(stateDir);
  let db: DatabaseSync;
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    // Transcripts are private: create the file 0600 ourselves (SQLite would use the umask); SQLite gives the
    // -wal and -shm files the same mode as the database. Opening for append never truncates an existing file.
    closeSync(openSync(path, 'a', 0o600));
    db = new DatabaseSync(path, { enableForeignKeyConstraints: true });
  } catch (error) {
    throw openFailed(path, error);
  }
  try {
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    checkIdentity(db, path);
    // WAL: readers never block the writer, and a commit appends to one file instead of rewriting pages twice.
    db.exec('PRAGMA journal_mode = WAL');
    // FULL, not NORMAL: in WAL mode NORMAL skips the fsync at each commit, so a committed turn survives a
    // process crash but can be lost to a power cut or kernel panic. A resolved appendMessage is a promise to the
    // client that the turn is stored; FULL keeps it at one fsync per commit (~0.35 ms measured on ext4/virtio).
    // SqliteStore's group commits switch to NORMAL for the COMMIT alone and make the same fsync themselves, off
    // the event loop, before any of their writes settles (sqlite-store.ts).
    db.exec('PRAGMA synchronous = FULL');
    db.exec('PRAGMA foreign_keys = ON');
    migrate(db, path);
    // No `PRAGMA quick_check` here: it reads every page, so its cost grows with the history (measured 2.3 ms at
    // 1.7 MB, 81 ms at 67 MB) and would be paid on every start. Corruption still surfaces as SQLITE_CORRUPT from
    // the statement that reads the damaged page, and nothing here rewrites the file because of it.
  } catch (error) {
    db.close();
    throw classify(path, error);
  }
  return db;
}

function readInt(db: DatabaseSync, pragma: string): number {
  const row = db.prepare(`PRAGMA ${pragma}`).get() as Record<string, number>;
  return Number(Object.values(row)[0]);
}

/** Refuses a foreign SQLite file or one from a newer build, before anything is written to it. */
function checkIdentity(db: DatabaseSync, path: string): void {
  // The first read of the header: garbage bytes fail here with SQLITE_NOTADB.
  const version = readInt(db, 'user_version');
  const applicationId = readInt(db, 'application_id');
  const objects = countSchemaObjects(db);
  const fresh = applicationId === 0 && version === 0 && objects === 0;
  if (!fresh && applicationId !== APPLICATION_ID) {
    throw notADatabase(path, `application_id ${applicationId}, ${objects} schema objects`);
  }
  if (version > LATEST_SCHEMA_VERSION) throw tooNew(path, version);
}

function countSchemaObjects(db: DatabaseSync): number {
  return Number((db.prepare('SELECT count(*) AS n FROM sqlite_schema').get() as { n: number }).n);
}

function migrate(db: DatabaseSync, path: string): void {
  if (readInt(db, 'user_version') === LATEST_SCHEMA_VERSION) return;
  db.exec('BEGIN IMMEDIATE');
  try {
    // Read again under the write lock: another process may have migrated since the check above.
    const version = readInt(db, 'user_version');
    if (version > LATEST_SCHEMA_VERSION) throw tooNew(path, version);
    for (const migration of MIGRATIONS) {
      if (migration.version > version) db.exec(migration.sql);
    }
    db.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
    db.exec(`PRAGMA user_version = ${LATEST_SCHEMA_VERSION}`);
    db.exec('COMMIT');
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

function classify(path: string, error: unknown): StorageError {
  if (error instanceof StorageError) return error;
  const errcode = (error as { errcode?: unknown }).errcode;
  if (typeof errcode === 'number') {
    const primary = errcode & 0xff;
    if (primary === SQLITE_CORRUPT || primary === SQLITE_NOTADB) {
      return notADatabase(path, (error as Error).message, error);
    }
  }
  return openFailed(path, error);
}

function notADatabase(path: string, reason: string, cause?: unknown): StorageError {
  return new StorageError(
    'STORAGE_NOT_A_DATABASE',
    path,
    `${path} is not a clawgate database or is corrupt (${reason}): restore it from a backup or move it away; ` +
      'clawgate never resets it silently',
    { cause },
  );
}

function tooNew(path: string, version: number): StorageError {
  return new StorageError(
    'STORAGE_TOO_NEW',
    path,
    `${path} has schema version ${version}, but this clawgate supports up to version ${LATEST_SCHEMA_VERSION}: ` +
      'upgrade clawgate (the database was left untouched)',
  );
}

function openFailed(path: string, error: unknown): StorageError {
  const reason = error instanceof Error ? error.message : String(error);
  return new StorageError('STORAGE_OPEN_FAILED', path, `cannot open ${path}: ${reason}`, { cause: error });
}
