// One timer per key: typing in one input never delays or swallows another input's update.

export interface KeyedDebouncer<T> {
  push(key: string, value: T): void;
  /** Send now what is pending (for `key`, or for every key). */
  flush(key?: string): void;
  pending(): string[];
  /** Remove and return what is pending, without sending it. */
  take(): Map<string, T>;
  cancel(): void;
}

export function keyedDebounce<T>(wait: number, send: (key: string, value: T) => void): KeyedDebouncer<T> {
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  const values = new Map<string, T>();
  const fire = (key: string) => {
    const t = timers.get(key);
    if (t !== undefined) clearTimeout(t);
    timers.delete(key);
    if (!values.has(key)) return;
    const v = values.get(key) as T;
    values.delete(key);
    send(key, v);
  };
  return {
    push(key, value) {
      values.set(key, value);
      const t = timers.get(key);
      if (t !== undefined) clearTimeout(t);
      timers.set(key, setTimeout(() => fire(key), wait));
    },
    flush(key) {
      if (key !== undefined) fire(key);
      else for (const k of [...values.keys()]) fire(k);
    },
    pending: () => [...values.keys()],
    take() {
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      const taken = new Map(values);
      values.clear();
      return taken;
    },
    cancel() {
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      values.clear();
    },
  };
}
