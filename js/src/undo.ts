// Undo and redo of layout changes, one history per sheet: moving to another sheet and
// back finds its history again, and an undo never reaches into another sheet's layout.

export interface Step<T> {
  label: string; // "Move", "Resize", ...: the button's tooltip says what it would undo
  undo: T;
  redo: T;
}

interface Stacks<T> {
  done: Step<T>[];
  undone: Step<T>[];
}

export class UndoHistory<T> {
  private sheets = new Map<string, Stacks<T>>();

  constructor(private limit = 200) {}

  private stacks(sheet: string): Stacks<T> {
    let s = this.sheets.get(sheet);
    if (!s) {
      s = { done: [], undone: [] };
      this.sheets.set(sheet, s);
    }
    return s;
  }

  /** A change just made: it can be undone; what was undone can no longer be redone. */
  record(sheet: string, step: Step<T>): void {
    const s = this.stacks(sheet);
    s.done.push(step);
    if (s.done.length > this.limit) s.done.shift();
    s.undone = [];
  }

  /** The step to undo (its `undo` is what to apply), or null when there is none. */
  undo(sheet: string): Step<T> | null {
    const s = this.stacks(sheet);
    const step = s.done.pop();
    if (!step) return null;
    s.undone.push(step);
    return step;
  }

  /** The step to redo (its `redo` is what to apply), or null. */
  redo(sheet: string): Step<T> | null {
    const s = this.stacks(sheet);
    const step = s.undone.pop();
    if (!step) return null;
    s.done.push(step);
    return step;
  }

  peekUndo(sheet: string): Step<T> | undefined {
    return this.sheets.get(sheet)?.done.at(-1);
  }

  peekRedo(sheet: string): Step<T> | undefined {
    return this.sheets.get(sheet)?.undone.at(-1);
  }

  /** A sheet was renamed: its history follows it. */
  rename(from: string, to: string): void {
    const s = this.sheets.get(from);
    if (!s || from === to) return;
    this.sheets.delete(from);
    this.sheets.set(to, s);
  }

  forget(sheet: string): void {
    this.sheets.delete(sheet);
  }
}
