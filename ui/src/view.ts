// What main.ts needs from a view: its element, whether it can take a new URL
// in place (update returns false to be rebuilt), and cleanup.
import type { Route } from './routes';

export interface View {
  el: HTMLElement;
  update?(route: Route): boolean;
  destroy?(): void;
  // The element "/" focuses.
  queryInput?: HTMLElement;
  // Esc: close the open panel; false when there is none.
  closePanel?(): boolean;
}

export interface AppContext {
  navigate(href: string, opts?: { replace?: boolean }): void;
}
