/**
 * `load`, run at the first call and shared by every call after it; a load that failed is
 * forgotten, so the next call tries again.
 *
 * With `import()` inside `load`, a module and the SDK it imports are evaluated only then: the
 * bundle still holds them (one file per function, no code splitting), but a cold start that
 * never calls does not pay for their top-level code or their clients.
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
