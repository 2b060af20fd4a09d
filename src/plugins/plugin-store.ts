import type { CronStore } from '../storage/cron-store.ts';
import type { JsonValue, PluginStore } from './api.ts';

/**
 * A plugin's key/value namespace: rows of the database's small-documents table under `plugin:<id>:`, so one
 * plugin never reads another's keys nor anything of the gateway's own (sessions, transcripts, devices). A
 * deleted key is stored as `null`, which reads back as absent.
 */
export function pluginStore(
  pluginId: string,
  kv: Pick<CronStore, 'getValue' | 'putValue'>,
  now: () => number,
): PluginStore {
  const prefix = `plugin:${pluginId}:`;
  const checkKey = (key: string) => {
    if (typeof key !== 'string' || key === '' || key.length > 512) {
      throw new Error(`plugin ${pluginId} store: key must be a string of 1-512 characters`);
    }
    return `${prefix}${key}`;
  };
  return {
    async get<T extends JsonValue = JsonValue>(key: string): Promise<T | undefined> {
      const value = await kv.getValue<T | null>(checkKey(key));
      return value === null ? undefined : value;
    },
    async set(key, value) {
      if (value === undefined)
        throw new Error(`plugin ${pluginId} store: ${key}: use delete() to remove a key`);
      await kv.putValue(checkKey(key), value, now());
    },
    async delete(key) {
      await kv.putValue(checkKey(key), null, now());
    },
  };
}
