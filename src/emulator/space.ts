/**
 * Reads a Contentful space export (`contentful space export` JSON) into what the emulator needs:
 * experiences in space order, audiences with parsed rules, and the optional top-level `emulator`
 * block (location defaults, an `X-Force-IP` lookup table, localized location names).
 *
 *   "emulator": {
 *     "location": { "city": "Berlin", "country": "Germany", "countryCode": "DE", … },
 *     "ipLookup": { "203.0.113.7": { "city": "Munich", … } },
 *     "locationNames": { "de-DE": { "country": { "Germany": "Deutschland" }, "city": { "Munich": "München" } } }
 *   }
 *
 * A real export has no `emulator` block, so a few documentation addresses (RFC 5737) always
 * resolve, one per continent, for `X-Force-IP` to reach location audiences out of the box; the
 * space's own `ipLookup` adds to them and wins for the same address (see BUILTIN_IP_LOOKUP).
 *
 * Fields are read in the default locale (the one marked `default`, else the first). An experience's
 * id is its entry id (`sys.id`), as the reference SDK maps it; an audience's id is its
 * `nt_audience_id` field, else its entry id. Audience rules are read by `audiences.ts`; a rule it
 * cannot evaluate is not fatal: it is listed in the audience's `unevaluable` and in `warnings`
 * (E105), and never matches.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod/mini';
import { ExperienceConfig, Location } from '../core/schemas.js';
import { cumulativeRanges, type DistributionRange } from '../core/bucketing.js';
import { parseRules, type PageCondition, type ParsedRules } from './audiences.js';
import { coded } from '../core/log.js';
import { CliError } from './errors.js';
import { describeIssue } from './validation.js';


export interface ExperienceModel {
  id: string;
  name: string;
  type: string;
  audienceId: string | null;
  config: ExperienceConfig;
  ranges: DistributionRange[];
}

/** A rule of an audience that cannot be evaluated (it never matches), with the reason. */
export interface UnevaluableRule { code: string; why: string }

export interface AudienceModel {
  id: string;
  name: string;
  rules: ParsedRules;
  /** Rules that never match because the emulator cannot evaluate them; empty when all can be. */
  unevaluable: UnevaluableRule[];
}

export interface MergeTagModel { id: string; name: string; path: string; fallback: string }

export type LocationData = z.infer<typeof Location>;

export interface SpaceModel {
  source: string;
  defaultLocale: string;
  experiences: ExperienceModel[];
  audiences: AudienceModel[];
  mergeTags: MergeTagModel[];
  /** Every distinct page rule, so page events update one counter per rule. */
  pageRules: { key: string; conditions: PageCondition[] }[];
  location: LocationData | null;
  ipLookup: Record<string, LocationData>;
  locationNames: Record<string, Record<string, Record<string, string>>>;
  warnings: string[];
}

const Link = z.looseObject({ sys: z.looseObject({ id: z.string() }) });
const Entry = z.looseObject({
  sys: z.looseObject({
    id: z.string().check(z.minLength(1)),
    contentType: z.optional(z.looseObject({ sys: z.looseObject({ id: z.string() }) })),
  }),
  fields: z.optional(z.record(z.string(), z.record(z.string(), z.unknown()))),
});
const EmulatorBlock = z.object({
  location: z.optional(Location),
  ipLookup: z.optional(z.record(z.string(), Location)),
  locationNames: z.optional(z.record(z.string(), z.record(z.string(), z.record(z.string(), z.string())))),
});
const SpaceExport = z.looseObject({
  locales: z.optional(z.array(z.looseObject({ code: z.string(), default: z.optional(z.boolean()) }))),
  entries: z.optional(z.array(Entry)),
  emulator: z.optional(EmulatorBlock),
});

const place = (city: string, region: string, regionCode: string, postalCode: string, country: string,
  countryCode: string, continent: string, timezone: string, latitude: number, longitude: number): LocationData =>
  ({ coordinates: { latitude, longitude }, city, postalCode, region, regionCode, country, countryCode, continent, timezone });

/** `X-Force-IP` addresses that resolve in every space: documentation ranges, one city per continent. */
export const BUILTIN_IP_LOOKUP: Readonly<Record<string, LocationData>> = Object.freeze({
  '203.0.113.7': place('Munich', 'Bavaria', 'BY', '80331', 'Germany', 'DE', 'EU', 'Europe/Berlin', 48.14, 11.58),
  '198.51.100.23': place('New York', 'New York', 'NY', '10007', 'United States', 'US', 'NA', 'America/New_York', 40.71, -74.01),
  '192.0.2.10': place('Tokyo', 'Tokyo', '13', '100-0001', 'Japan', 'JP', 'AS', 'Asia/Tokyo', 35.68, 139.69),
  '192.0.2.20': place('São Paulo', 'São Paulo', 'SP', '01000-000', 'Brazil', 'BR', 'SA', 'America/Sao_Paulo', -23.55, -46.63),
  '192.0.2.30': place('Nairobi', 'Nairobi County', '30', '00100', 'Kenya', 'KE', 'AF', 'Africa/Nairobi', -1.29, 36.82),
  '192.0.2.40': place('Sydney', 'New South Wales', 'NSW', '2000', 'Australia', 'AU', 'OC', 'Australia/Sydney', -33.87, 151.21),
});

const spaceError = (source: string, detail: string) => new CliError('E102', `${source}: ${detail}`);

/** Builds the model from a parsed export; throws `CliError` E102 naming the bad field. */
export function parseSpace(json: unknown, source = 'space'): SpaceModel {
  const parsed = z.safeParse(SpaceExport, json);
  if (!parsed.success) {
    throw spaceError(source, describeIssue(parsed.error.issues[0]!, json));
  }
  const space = parsed.data;
  const locales = space.locales ?? [];
  const defaultLocale = (locales.find((l) => l.default) ?? locales[0])?.code ?? 'en-US';
  const entries = space.entries ?? [];
  const field = (entry: z.infer<typeof Entry>, name: string): unknown => {
    const values = entry.fields?.[name];
    return values && Object.prototype.hasOwnProperty.call(values, defaultLocale) ? values[defaultLocale] : undefined;
  };
  const typeOf = (entry: z.infer<typeof Entry>) => entry.sys.contentType?.sys.id;
  const warnings: string[] = [];
  const str = (v: unknown, fallback: string) => (typeof v === 'string' ? v : fallback);

  const audiences: AudienceModel[] = [];
  const audienceIdByEntry = new Map<string, string>();
  entries.forEach((entry, i) => {
    if (typeOf(entry) !== 'nt_audience') return;
    const id = str(field(entry, 'nt_audience_id'), entry.sys.id);
    audienceIdByEntry.set(entry.sys.id, id);
    const name = str(field(entry, 'nt_name'), id);
    const rules = parseRules(field(entry, 'nt_rules'));
    const unevaluable = rules.problems.map((why) => ({ code: 'E105' as const, why }));
    for (const u of unevaluable) warnings.push(coded(u.code, `audience ${id} (${JSON.stringify(name)}, entries[${i}]): ${u.why}`));
    audiences.push({ id, name, rules, unevaluable });
  });

  const experiences: ExperienceModel[] = [];
  entries.forEach((entry, i) => {
    if (typeOf(entry) !== 'nt_experience') return;
    const rawConfig = field(entry, 'nt_config');
    const config = z.safeParse(ExperienceConfig, rawConfig);
    if (!config.success) {
      throw spaceError(source, `experience ${entry.sys.id}: ${describeIssue(config.error.issues[0]!, rawConfig, `entries[${i}].fields.nt_config.${defaultLocale}`)}`);
    }
    const audienceLink = z.safeParse(Link, field(entry, 'nt_audience'));
    const audienceEntryId = audienceLink.success ? audienceLink.data.sys.id : null;
    if (audienceEntryId && !audienceIdByEntry.has(audienceEntryId)) {
      warnings.push(`experience ${entry.sys.id}: audience entry ${audienceEntryId} is not in the space; the experience never matches`);
    }
    experiences.push({
      id: entry.sys.id,
      name: str(field(entry, 'nt_name'), entry.sys.id),
      type: str(field(entry, 'nt_type'), 'nt_personalization'),
      audienceId: audienceEntryId ? (audienceIdByEntry.get(audienceEntryId) ?? audienceEntryId) : null,
      config: config.data,
      ranges: cumulativeRanges(config.data.distribution),
    });
  });

  const mergeTags: MergeTagModel[] = entries
    .filter((e) => typeOf(e) === 'nt_mergetag')
    .map((e) => ({
      id: e.sys.id,
      name: str(field(e, 'nt_name'), e.sys.id),
      path: str(field(e, 'nt_mergetag_id'), ''),
      fallback: str(field(e, 'nt_fallback'), ''),
    }));

  const pageRules = new Map<string, PageCondition[]>();
  for (const audience of audiences) {
    for (const rule of audience.rules.any.flat()) if (rule.type === 'page') pageRules.set(rule.key, rule.conditions);
  }

  return {
    source,
    defaultLocale,
    experiences,
    audiences,
    mergeTags,
    pageRules: [...pageRules].map(([key, conditions]) => ({ key, conditions })),
    location: space.emulator?.location ?? null,
    ipLookup: { ...structuredClone(BUILTIN_IP_LOOKUP), ...space.emulator?.ipLookup },
    locationNames: space.emulator?.locationNames ?? {},
    warnings,
  };
}

/** Reads and parses a space export file; throws `CliError` E102 with the reason. */
export function loadSpaceFile(file: string): SpaceModel {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw spaceError(file, `cannot read the space file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw spaceError(file, `is not valid JSON (${(error as Error).message})`);
  }
  return parseSpace(json, file);
}

export const emptySpace = (): SpaceModel => parseSpace({ entries: [] }, '(no space)');
