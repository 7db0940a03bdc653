// Keys in the canvas. Every key pressed inside it stays inside it (notebook shortcuts such
// as "a", "b", "dd" or Shift+Enter must not act on cells while one types on a card).
// Delete never removes anything: nodes and wires are defined by the code.

export type KeyAction = "close" | "run" | "undo" | "redo" | "find" | "group" | "delete" | "fit" | null;

export interface Keys {
  key: string;
  shiftKey?: boolean;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
}

/** What a key press does; `typing`: focus is in a text field, whose own keys win (a
 * text field's Ctrl+Z undoes typing, Backspace deletes a character). */
export function keyAction(e: Keys, typing: boolean): KeyAction {
  const mod = Boolean(e.ctrlKey || e.metaKey);
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (key === "Escape") return "close";
  if (key === "Enter" && e.shiftKey && !mod && !e.altKey) return "run";
  if (mod && key === "f") return "find";
  if (typing) return null;
  if (mod && key === "z") return e.shiftKey ? "redo" : "undo";
  if (mod && key === "y") return "redo";
  if (mod && key === "g") return "group";
  if (!mod && !e.altKey && key === "/") return "find";
  if (!mod && !e.altKey && key === "0") return "fit";
  if (key === "Delete" || key === "Backspace") return "delete";
  return null;
}

/** True when the element takes text (so its own editing keys win). */
export function isTyping(el: Element | null): boolean {
  if (!el) return false;
  const tag = el.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag === "INPUT") {
    const type = (el as HTMLInputElement).type;
    return !["button", "checkbox", "radio", "range", "file", "submit", "reset", "color"].includes(type);
  }
  return (el as HTMLElement).isContentEditable === true || el.getAttribute("contenteditable") === "true";
}

export const DELETE_HINT =
  "Nothing was deleted: nodes and wires are defined in code (remove a node from the graph in Python). " +
  "Layout changes are undone with Ctrl+Z.";

export interface KeyHandlers {
  close(): void;
  run(cardId: string): void;
  undo(): void;
  redo(): void;
  find(): void;
  group(): void;
  fit(): void;
  hint(message: string): void;
}

/** Handles a key press inside the canvas (every one stays inside it). */
export function handleKey(e: KeyboardEvent, on: KeyHandlers): void {
  e.stopPropagation(); // notebook shortcuts must not act while one works on the canvas
  const action = keyAction(e, isTyping(e.target as Element));
  const card = ((e.target as HTMLElement).closest?.(".daggr-node") as HTMLElement | null)?.dataset.id;
  if (!action || (action === "run" && !card)) return;
  e.preventDefault();
  if (action === "run") on.run(card!);
  else if (action === "delete") on.hint(DELETE_HINT);
  else on[action]();
}
