import type { DatabaseSync } from 'node:sqlite';
import type { NodeRecord, NodeStore, PendingWorkItem } from '../devices/nodes/node-store.ts';

type Write = <T>(work: () => T) => Promise<T>;

type WorkRow = { id: string; type: string; priority: string; created_at: number; expires_at: number };

function prepare(db: DatabaseSync) {
  return {
    all: db.prepare('SELECT record FROM nodes'),
    put: db.prepare(
      'INSERT INTO nodes (node_id, record, updated_at) VALUES (?, ?, ?) ' +
        'ON CONFLICT (node_id) DO UPDATE SET record = excluded.record, updated_at = excluded.updated_at',
    ),
    delete: db.prepare('DELETE FROM nodes WHERE node_id = ?'),
    deleteWorkOf: db.prepare('DELETE FROM node_pending_work WHERE node_id = ?'),
    insertWork: db.prepare(
      'INSERT INTO node_pending_work (id, node_id, type, priority, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    expireWork: db.prepare('DELETE FROM node_pending_work WHERE node_id = ? AND expires_at <= ?'),
    listWork: db.prepare(
      'SELECT id, type, priority, created_at, expires_at FROM node_pending_work WHERE node_id = ? ' +
        "ORDER BY CASE priority WHEN 'high' THEN 0 ELSE 1 END, created_at, id",
    ),
    deleteWork: db.prepare('DELETE FROM node_pending_work WHERE id = ?'),
  };
}

/** Node records and queued node work in `clawgate.db`, written through the store's one writer. */
export class SqliteNodeStore implements NodeStore {
  #sql: ReturnType<typeof prepare>;
  #write: Write;

  constructor(db: DatabaseSync, write: Write) {
    this.#sql = prepare(db);
    this.#write = write;
  }

  loadAll(): NodeRecord[] {
    return (this.#sql.all.all() as { record: string }[]).map(
      ({ record }) => JSON.parse(record) as NodeRecord,
    );
  }

  put(record: NodeRecord, now: number): Promise<void> {
    const text = JSON.stringify(record);
    return this.#write(() => {
      this.#sql.put.run(record.nodeId, text, now);
    });
  }

  delete(nodeId: string): Promise<void> {
    return this.#write(() => {
      this.#sql.delete.run(nodeId);
      this.#sql.deleteWorkOf.run(nodeId);
    });
  }

  enqueueWork(nodeId: string, item: PendingWorkItem, now: number): Promise<PendingWorkItem> {
    return this.#write(() => {
      const existing = this.#live(nodeId, now).find((queued) => queued.type === item.type);
      if (existing) return existing;
      this.#sql.insertWork.run(item.id, nodeId, item.type, item.priority, item.createdAtMs, item.expiresAtMs);
      return item;
    });
  }

  drainWork(
    nodeId: string,
    now: number,
    max: number,
  ): Promise<{ items: PendingWorkItem[]; remaining: number }> {
    return this.#write(() => {
      const all = this.#live(nodeId, now);
      const items = all.slice(0, max);
      for (const item of items) this.#sql.deleteWork.run(item.id);
      return { items, remaining: all.length - items.length };
    });
  }

  /** The node's unexpired work in hand-out order; call inside a write (it drops what expired). */
  #live(nodeId: string, now: number): PendingWorkItem[] {
    this.#sql.expireWork.run(nodeId, now);
    return (this.#sql.listWork.all(nodeId) as WorkRow[]).map((row) => ({
      id: row.id,
      type: row.type as PendingWorkItem['type'],
      priority: row.priority as PendingWorkItem['priority'],
      createdAtMs: row.created_at,
      expiresAtMs: row.expires_at,
    }));
  }
}
