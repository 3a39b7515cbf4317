// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mountPopup, type PopupController } from '../../extension/lib/ui/popup.ts';
import { fakePopupDeps, flush, type FakePopupDeps } from './ui-fakes.ts';

/** The popup's "Fill into this page" (lib/autofill/triggers.ts does the filling in the background). */

let root: HTMLElement;
let controller: PopupController | undefined;

beforeEach(() => {
  document.body.replaceChildren();
  root = document.body.appendChild(document.createElement('div'));
});

afterEach(() => {
  controller?.destroy();
  controller = undefined;
  vi.useRealTimers();
});

async function mount(fill?: () => Promise<{ fields: number }>): Promise<FakePopupDeps & { closePopup: ReturnType<typeof vi.fn> }> {
  const deps = Object.assign(fakePopupDeps(), { closePopup: vi.fn() });
  if (fill) deps.background.fillActiveTab = vi.fn(fill);
  controller = mountPopup(root, deps);
  await controller.ready;
  return deps;
}

const button = () => root.querySelector<HTMLButtonElement>('[data-testid="fill-page"]');
const toast = () => root.querySelector('[data-testid="toast"]')?.textContent;

describe('popup: Fill into this page', () => {
  it('is a button in the footer when the background can fill', async () => {
    await mount(async () => ({ fields: 5 }));
    expect(button()?.textContent).toBe('Fill into this page');
    expect(button()?.type).toBe('button');
    expect(button()?.closest('footer')).not.toBeNull();
  });

  it('is absent without a background that fills', async () => {
    await mount();
    expect(button()).toBeNull();
  });

  it('says how many contact fields the page has, then closes so the page gets the keyboard', async () => {
    const deps = await mount(async () => ({ fields: 5 }));
    vi.useFakeTimers();
    button()!.click();
    await vi.advanceTimersByTimeAsync(0);
    expect(deps.background.fillActiveTab).toHaveBeenCalledTimes(1);
    expect(toast()).toBe('5 contact fields: pick a colleague in the page.');
    expect(deps.closePopup).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1000);
    expect(deps.closePopup).toHaveBeenCalledTimes(1);
  });

  it('says when the page has no contact fields, and stays open', async () => {
    const deps = await mount(async () => ({ fields: 0 }));
    vi.useFakeTimers();
    button()!.click();
    await vi.advanceTimersByTimeAsync(0);
    expect(toast()).toBe('No contact fields on this page.');
    await vi.advanceTimersByTimeAsync(1000);
    expect(deps.closePopup).not.toHaveBeenCalled();
  });

  it("says why a page can't be filled", async () => {
    await mount(() => Promise.reject(Object.assign(new Error("Peoplebook can't fill this page: browser pages and extension stores are off limits."), { code: 'cannot_fill' })));
    button()!.click();
    await flush();
    expect(toast()).toBe("Couldn't fill this page: Peoplebook can't fill this page: browser pages and extension stores are off limits.");
  });
});
