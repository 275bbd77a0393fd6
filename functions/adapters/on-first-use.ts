/**
 * `load`, run at the first call and shared by every call after it; a load that failed is
 * forgotten, so the next call tries again.
 *
 * With `import()` inside `load`, a module and the SDK it imports are loaded only then: the
 * function's bundle keeps them in chunks of their own (infra/bundling.ts), which a cold start
 * that never calls neither reads nor runs.
 */
export function onFirstUse<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    if (!loaded) {
      const loading = load();
      loading.catch(() => {
        if (loaded === loading) loaded = undefined;
      });
      loaded = loading;
    }
    return loaded;
  };
}
