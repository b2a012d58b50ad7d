/** Loading data for a page: the value, the error, and a reload; optionally polled (the job list's live status). */
import { useCallback, useEffect, useRef, useState } from 'react';

export interface Loaded<T> {
  data: T | null;
  error: Error | null;
  reload(): void;
}

export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[], pollMs?: number): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const latest = useRef(load);
  latest.current = load;
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const value = await latest.current();
        if (!live) return;
        setData(value);
        setError(null);
      } catch (e) {
        if (live) setError(e instanceof Error ? e : new Error(String(e)));
      }
      // Poll after each answer, not on a fixed beat: a slow server is never asked twice at once.
      if (live && pollMs) timer = setTimeout(() => void run(), pollMs);
    };
    void run();
    return () => {
      live = false;
      clearTimeout(timer);
    };
    // The caller names what the load depends on (the loader itself is a new closure every render).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, generation, pollMs]);

  return { data, error, reload };
}
