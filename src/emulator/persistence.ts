/**
 * `--data DIR`: an append-only log plus snapshots, so a `kill -9` at any moment leaves a store the
 * next start reads.
 *
 *   DIR/snapshot.json     `{ version, generation, savedAt, store }`, replaced atomically
 *                         (write temp file → fsync → rename → fsync the directory)
 *   DIR/log-<gen>.jsonl   one record per line: `<crc32 hex> <json>\n`
 *
 * Writes are group-committed: records queued during one event-loop turn go out in one write(2),
 * and the request that made them is answered only after that write returned — so every
 * acknowledged change is in the kernel's page cache and survives the process being killed. The
 * file is fsync'ed at most once a second and on shutdown (that part matters only if the machine,
 * not the process, dies).
 *
 * Reading is tolerant: a line whose checksum or JSON does not verify (the torn tail of a killed
 * write) is dropped. Compaction — at start, and when the log passes `compactBytes` — opens the
 * next generation's log first, then writes the snapshot tagged with that generation, then deletes
 * older logs; a crash at any point leaves either the old snapshot plus all logs or the new
 * snapshot plus the new log, and both replay to the same state.
 */
import {
  closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync, fsync,
} from 'node:fs';
import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import { CliError } from './errors.js';
import type { Store, StoreRecord, StoreSnapshot } from './store.js';

const SNAPSHOT = 'snapshot.json';
const LOG_RE = /^log-(\d+)\.jsonl$/;
const logName = (generation: number) => `log-${String(generation).padStart(8, '0')}.jsonl`;
const checksum = (text: string) => crc32(text).toString(16).padStart(8, '0');

export const encodeLine = (record: StoreRecord): string => {
  const json = JSON.stringify(record);
  return `${checksum(json)} ${json}\n`;
};

/** Parses a log file's text; returns the good records and how many lines were dropped. */
export function decodeLog(text: string): { records: StoreRecord[]; dropped: number } {
  const records: StoreRecord[] = [];
  let dropped = 0;
  const lines = text.split('\n');
  const last = lines.pop(); // after the final "\n" this is "", otherwise a torn line
  if (last) dropped++;
  for (const line of lines) {
    const space = line.indexOf(' ');
    const json = line.slice(space + 1);
    if (space !== 8 || checksum(json) !== line.slice(0, 8)) { dropped++; continue; }
    try {
      records.push(JSON.parse(json) as StoreRecord);
    } catch {
      dropped++;
    }
  }
  return { records, dropped };
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try { fsyncSync(fd); } finally { closeSync(fd); }
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  }
}

export interface PersistenceOptions {
  compactBytes?: number;
  fsyncIntervalMs?: number;
  warn?: (message: string) => void;
}

export class Persistence {
  private readonly dir: string;
  private readonly store: Store;
  private readonly compactBytes: number;
  private readonly fsyncIntervalMs: number;
  private readonly warn: (message: string) => void;
  private generation = 0;
  private fd: number | null = null;
  private logBytes = 0;
  private queue: string[] = [];
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;
  private unsynced = false;
  private fsyncTimer: NodeJS.Timeout | null = null;
  private fsyncing = false;

  constructor(dir: string, store: Store, options: PersistenceOptions = {}) {
    this.dir = dir;
    this.store = store;
    this.compactBytes = options.compactBytes ?? 32 * 1024 * 1024;
    this.fsyncIntervalMs = options.fsyncIntervalMs ?? 1000;
    this.warn = options.warn ?? ((m) => console.error(m));
  }

  /** Loads the snapshot and logs into the store, compacts, and starts recording. */
  open(): { profiles: number; insights: number; droppedLines: number } {
    try {
      mkdirSync(this.dir, { recursive: true });
    } catch (error) {
      throw new CliError('E103', `cannot create ${this.dir} (${(error as NodeJS.ErrnoException).code})`);
    }
    let generation = 0;
    const snapshotPath = join(this.dir, SNAPSHOT);
    if (existsSync(snapshotPath)) {
      let parsed: { generation: number; store: StoreSnapshot };
      try {
        parsed = JSON.parse(readFileSync(snapshotPath, 'utf8')) as typeof parsed;
        if (typeof parsed.generation !== 'number' || !Array.isArray(parsed.store?.namespaces)) throw new Error('unexpected shape');
      } catch (error) {
        throw new CliError('E103', `${snapshotPath} is unreadable (${(error as Error).message})`);
      }
      generation = parsed.generation;
      this.store.restore(parsed.store);
    }
    const logs = readdirSync(this.dir)
      .map((name) => ({ name, gen: Number(LOG_RE.exec(name)?.[1] ?? NaN) }))
      .filter((l) => Number.isFinite(l.gen))
      .sort((a, b) => a.gen - b.gen);
    let droppedLines = 0;
    for (const log of logs) {
      if (log.gen < generation) continue;
      const { records, dropped } = decodeLog(readFileSync(join(this.dir, log.name), 'utf8'));
      droppedLines += dropped;
      for (const record of records) this.store.replay(record);
    }
    if (droppedLines > 0) this.warn(`emulator: dropped ${droppedLines} unreadable line(s) from the data log (an interrupted write)`);
    this.generation = Math.max(generation, ...logs.map((l) => l.gen));
    this.compact();
    this.store.onRecord = (record) => this.append(record);
    let profiles = 0;
    let insights = 0;
    for (const ns of this.store.namespaces.values()) { profiles += ns.profiles.size; insights += ns.insights.length; }
    return { profiles, insights, droppedLines };
  }

  private append(record: StoreRecord): void {
    this.queue.push(encodeLine(record));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flushQueue());
    }
  }

  /** Resolves once everything recorded so far has been written. */
  committed(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private flushQueue(): void {
    this.scheduled = false;
    const waiters = this.waiters;
    this.waiters = [];
    try {
      this.writeQueued();
      for (const w of waiters) w.resolve();
    } catch (error) {
      this.warn(`emulator: writing the data log failed: ${String(error)}`);
      for (const w of waiters) w.reject(error);
      return;
    }
    if (this.logBytes > this.compactBytes) this.compact();
    this.scheduleFsync();
  }

  private writeQueued(): void {
    if (this.queue.length === 0 || this.fd === null) return;
    const buffer = Buffer.from(this.queue.join(''), 'utf8');
    this.queue = [];
    let offset = 0;
    while (offset < buffer.length) offset += writeSync(this.fd, buffer, offset);
    this.logBytes += buffer.length;
    this.unsynced = true;
  }

  private scheduleFsync(): void {
    if (this.fsyncTimer || !this.unsynced) return;
    this.fsyncTimer = setTimeout(() => {
      this.fsyncTimer = null;
      if (this.fd === null || this.fsyncing) return;
      this.unsynced = false;
      this.fsyncing = true;
      fsync(this.fd, () => { this.fsyncing = false; });
    }, this.fsyncIntervalMs);
    this.fsyncTimer.unref();
  }

  /** Starts a new log generation and writes a snapshot of the whole store. */
  compact(): void {
    this.writeQueued();
    const next = this.generation + 1;
    const fd = openSync(join(this.dir, logName(next)), 'a');
    if (this.fd !== null) { fsyncSync(this.fd); closeSync(this.fd); }
    this.fd = fd;
    this.logBytes = 0;
    const tmp = join(this.dir, `${SNAPSHOT}.${process.pid}.tmp`);
    const body = JSON.stringify({ version: 1, generation: next, savedAt: new Date().toISOString(), store: this.store.snapshot() });
    const tfd = openSync(tmp, 'w');
    try {
      writeSync(tfd, body);
      fsyncSync(tfd);
    } finally {
      closeSync(tfd);
    }
    renameSync(tmp, join(this.dir, SNAPSHOT));
    fsyncDir(this.dir);
    for (const name of readdirSync(this.dir)) {
      const gen = Number(LOG_RE.exec(name)?.[1] ?? NaN);
      if (Number.isFinite(gen) && gen < next) rmSync(join(this.dir, name), { force: true });
      else if (name.startsWith(`${SNAPSHOT}.`) && name.endsWith('.tmp')) rmSync(join(this.dir, name), { force: true });
    }
    this.generation = next;
  }

  /** Writes and fsyncs everything; used on shutdown. */
  close(): void {
    this.store.onRecord = null;
    if (this.fsyncTimer) { clearTimeout(this.fsyncTimer); this.fsyncTimer = null; }
    const waiters = this.waiters;
    this.waiters = [];
    this.writeQueued();
    for (const w of waiters) w.resolve();
    if (this.fd !== null) {
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = null;
    }
  }
}
