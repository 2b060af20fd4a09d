import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';

/** How long a Control UI page may take to show what a test waits for (Chromium on a loaded 2-core box). */
export const PAGE_WAIT_MS = 20_000;

export type SentRequest = { method: string; params: unknown };
export type Answer = { method: string; ok: boolean; error?: { code: string; message: string } };

/** Polls the page's text (with a deadline) until `ready` holds; returns it. */
export async function textWhen(page: Page, ready: (text: string) => boolean, what: string): Promise<string> {
  const deadline = performance.now() + PAGE_WAIT_MS;
  for (;;) {
    const text = await page.evaluate<string>('document.body.innerText');
    if (ready(text)) return text;
    assert.ok(performance.now() < deadline, `${what}: never shown. The page reads:\n${text.slice(0, 3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Polls `check` (with a deadline of `waitMs`). */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  waitMs = PAGE_WAIT_MS,
): Promise<void> {
  const deadline = performance.now() + waitMs;
  while (!(await check())) {
    assert.ok(performance.now() < deadline, `${what}: did not happen`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Every request the page's WebSockets send, every answer (by method), and every frame received as sent. */
export function recordFrames(page: Page): { requests: SentRequest[]; answers: Answer[]; received: string[] } {
  const requests: SentRequest[] = [];
  const answers: Answer[] = [];
  const received: string[] = [];
  page.on('websocket', (socket) => {
    const methods = new Map<string, string>();
    socket.on('framesent', (frame) => {
      const value = JSON.parse(String(frame.payload)) as {
        type: string;
        id: string;
        method: string;
        params: unknown;
      };
      if (value.type !== 'req') return;
      methods.set(value.id, value.method);
      requests.push({ method: value.method, params: value.params });
    });
    socket.on('framereceived', (frame) => {
      received.push(String(frame.payload));
      const value = JSON.parse(String(frame.payload)) as {
        type: string;
        id: string;
        ok: boolean;
        error?: Answer['error'];
      };
      if (value.type === 'res')
        answers.push({ method: methods.get(value.id) ?? '?', ok: value.ok, error: value.error });
    });
  });
  return { requests, answers, received };
}

export type ClickOptions = {
  /** Which elements to look through; `button` unless told. */
  selector?: string;
  /** Match text containing `label`, not only text that is exactly `label`. */
  partial?: boolean;
  /** Only elements that are laid out (not hidden). */
  visible?: boolean;
  /** The last match (a dialog's confirm button comes after the one that opened it), not the first. */
  last?: boolean;
};

/** Clicks, inside the page, the element whose text is `label`; whether there was one. */
export function clickLabel(page: Page, label: string, options: ClickOptions = {}): Promise<boolean> {
  const { selector = 'button', partial = false, visible = false, last = false } = options;
  const text = JSON.stringify(label);
  const matches = partial ? `e.textContent.includes(${text})` : `e.textContent.trim() === ${text}`;
  return page.evaluate<boolean>(
    `(() => {
      const all = [...document.querySelectorAll(${JSON.stringify(selector)})].filter((e) => ${matches}${visible ? ' && e.offsetParent !== null' : ''});
      const element = all.at(${last ? -1 : 0});
      element?.click();
      return Boolean(element);
    })()`,
  );
}
