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

  enqueueWork(nodeId: string, item: PendingWorkItem): Promise<void> {
    return this.#write(() => {
      this.#sql.insertWork.run(item.id, nodeId, item.type, item.priority, item.createdAtMs, item.expiresAtMs);
    });
  }

  listWork(nodeId: string, now: number): Promise<PendingWorkItem[]> {
    return this.#write(() => {
      this.#sql.expireWork.run(nodeId, now);
      return (this.#sql.listWork.all(nodeId) as WorkRow[]).map((row) => ({
        id: row.id,
        type: row.type as PendingWorkItem['type'],
        priority: row.priority as PendingWorkItem['priority'],
        createdAtMs: row.created_at,
        expiresAtMs: row.expires_at,
      }));
    });
  }

  removeWork(ids: readonly string[]): Promise<void> {
    return this.#write(() => {
      for (const id of ids) this.#sql.deleteWork.run(id);
    });
  }
}
