/**
 * `ctfl-optimization serve …`: argument parsing, start-up and clean shutdown.
 *
 * `main(argv)` resolves with an exit code: 0 after `--help` or after SIGTERM/SIGINT stopped a
 * running server (data log written and fsynced), 2 for bad flags or a bad space file, 1 when the
 * port cannot be used.
 */
import { CliError } from './errors.js';
import { MAX_GOAL_LENGTH, MAX_GOALS } from './results.js';
import { createEmulator, type EmulatorOptions } from './server.js';
import { emptySpace, loadSpaceFile } from './space.js';

export const USAGE = `Usage: ctfl-optimization serve [options]

Runs a local Experience API v2 / Insights API v1 emulator.

Options:
  --port N             port to listen on (default 8787; 0 picks a free port)
  --host HOST          interface to bind (default 127.0.0.1)
  --space FILE         Contentful space export (JSON) with nt_experience / nt_audience entries
  --data DIR           keep profiles, sessions, sticky variants and Insights events in DIR
                       (memory only without it)
  --latency MS         delay every API answer by MS milliseconds
  --fail-rate P        answer a share P (0-1) of API requests with 503 ERR_SERVICE_UNAVAILABLE
  --seed S             make generated ids and --fail-rate rolls repeatable
  --orgs A,B           accept only these organization ids (default: any well-formed id)
  --environments A,B   accept only these environment ids (default: any well-formed id)
  --max-profile-rps N  answer 429 ERR_PROFILE_OVERLOAD past N requests per profile per second
  --clock-offset MS    start with the emulator clock shifted by MS (tests; see POST /_emulator/clock)
  --goal NAME          count visitors who send the track event NAME as converted, on the dashboard
                       and in /_emulator/results (repeat for more goals; the dashboard can change them)
  -h, --help           show this help

Control and inspection (never delayed or failed): /_emulator/ (dashboard), /_emulator/results,
/_emulator/goals, /_emulator/events, /_emulator/requests, /_emulator/profiles, /_emulator/faults,
/_emulator/reset, /_emulator/clock.
`;

export interface ServeFlags {
  port: number;
  host: string;
  space: string | null;
  data: string | null;
  latencyMs: number;
  failRate: number;
  seed: string | undefined;
  orgs: string[] | null;
  environments: string[] | null;
  maxProfileRps: number;
  clockOffsetMs: number;
  goals: string[];
  help: boolean;
}

const badFlag = (detail: string) => new CliError('E101', detail);

function number(flag: string, raw: string, { min, max, integer }: { min: number; max: number; integer?: boolean }): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    const kind = integer ? 'an integer' : 'a number';
    throw badFlag(`${flag} must be ${min === 0 && max === 1 && !integer ? 'between 0 and 1' : `${kind} from ${min} to ${max}`} (got ${JSON.stringify(raw)})`);
  }
  return value;
}

function list(flag: string, raw: string): string[] {
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.find((s) => !/^[A-Za-z0-9_-]{1,64}$/.test(s));
  if (items.length === 0 || bad !== undefined) throw badFlag(`${flag} takes comma-separated ids of A-Z, a-z, 0-9, "_" or "-"${bad ? ` (got ${JSON.stringify(bad)})` : ''}`);
  return items;
}

export function parseServeFlags(args: readonly string[]): ServeFlags {
  const flags: ServeFlags = {
    port: 8787, host: '127.0.0.1', space: null, data: null, latencyMs: 0, failRate: 0, seed: undefined,
    orgs: null, environments: null, maxProfileRps: 0, clockOffsetMs: 0, goals: [], help: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-h' || arg === '--help') { flags.help = true; continue; }
    if (!arg.startsWith('--')) throw badFlag(`unexpected argument ${JSON.stringify(arg)}`);
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const take = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const next = args[i + 1];
      if (next === undefined || next.startsWith('--')) throw badFlag(`${name} needs a value`);
      i++;
      return next;
    };
    switch (name) {
      case '--port': flags.port = number(name, take(), { min: 0, max: 65535, integer: true }); break;
      case '--host': flags.host = take(); break;
      case '--space': flags.space = take(); break;
      case '--data': flags.data = take(); break;
      case '--latency': flags.latencyMs = number(name, take(), { min: 0, max: 600_000, integer: true }); break;
      case '--fail-rate': flags.failRate = number(name, take(), { min: 0, max: 1 }); break;
      case '--seed': flags.seed = take(); break;
      case '--orgs': flags.orgs = list(name, take()); break;
      case '--environments': flags.environments = list(name, take()); break;
      case '--max-profile-rps': flags.maxProfileRps = number(name, take(), { min: 0, max: 1_000_000, integer: true }); break;
      case '--clock-offset': flags.clockOffsetMs = number(name, take(), { min: -1e13, max: 1e13, integer: true }); break;
      case '--goal': {
        const goal = take();
        if (goal.length < 1 || goal.length > MAX_GOAL_LENGTH) throw badFlag(`--goal takes a track event name of 1 to ${MAX_GOAL_LENGTH} characters`);
        if (!flags.goals.includes(goal)) flags.goals.push(goal);
        if (flags.goals.length > MAX_GOALS) throw badFlag(`--goal: at most ${MAX_GOALS} goals`);
        break;
      }
      default: throw badFlag(`unknown option ${name}`);
    }
  }
  return flags;
}

const print = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
const printError = (text: string) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    (command === undefined ? printError : print)(USAGE);
    return command === undefined ? 2 : 0;
  }
  try {
    if (command !== 'serve') throw badFlag(`unknown command ${JSON.stringify(command)}; the command is "serve"`);
    const flags = parseServeFlags(rest);
    if (flags.help) { print(USAGE); return 0; }
    return await serve(flags);
  } catch (error) {
    if (error instanceof CliError) {
      printError(error.message);
      return error.exitCode;
    }
    throw error;
  }
}

async function serve(flags: ServeFlags): Promise<number> {
  const space = flags.space ? loadSpaceFile(flags.space) : emptySpace();
  for (const warning of space.warnings) printError(`warning: ${warning}`);
  const options: EmulatorOptions = {
    space,
    dataDir: flags.data,
    latencyMs: flags.latencyMs,
    failRate: flags.failRate,
    organizations: flags.orgs,
    environments: flags.environments,
    maxProfileRps: flags.maxProfileRps,
    clockOffsetMs: flags.clockOffsetMs,
    goals: flags.goals,
    ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
  };
  const emulator = createEmulator(options);
  // Handlers go in before listening, so a signal that arrives during start-up still stops cleanly.
  let stopping: Promise<number> | null = null;
  let onStopped: (code: number) => void = () => {};
  const stopped = new Promise<number>((resolve) => { onStopped = resolve; });
  const stop = (signal: NodeJS.Signals) => {
    stopping ??= (async () => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      printError(`emulator: ${signal}, stopping`);
      try {
        await emulator.close();
        return 0;
      } catch (error) {
        printError(String(error));
        return 1;
      }
    })();
    stopping.then(onStopped);
  };
  const onTerm = () => stop('SIGTERM');
  const onInt = () => stop('SIGINT');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);

  let address: { url: string; port: number };
  try {
    address = await emulator.listen(flags.port, flags.host);
  } catch (error) {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    await emulator.close();
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError('E104', code === 'EADDRINUSE' ? `port ${flags.port} on ${flags.host} is in use` : `${flags.host}:${flags.port} (${code ?? String(error)})`, 1);
  }
  if (emulator.loaded) {
    printError(`emulator: loaded ${emulator.loaded.profiles} profile(s) and ${emulator.loaded.insights} Insights event(s) from ${flags.data}`);
  }
  if (!stopping) print(`listening on ${address.url}`);
  return stopped;
}
