/**
 * Turns in a fixed order for work that otherwise runs at once (a batch's items): the k-th
 * takes its turn once the one before has taken its own or left without one. Start the
 * participants in their order (as `p-limit` does), so none waits on one not yet started.
 */
export function turnsInOrder(count: number) {
  const finished = Array.from({ length: count }, () => Promise.withResolvers<void>());
  return function participant(position: number) {
    const finish = () => finished[position]?.resolve();
    return {
      async take<T>(work: () => Promise<T>): Promise<T> {
        await finished[position - 1]?.promise;
        try {
          return await work();
        } finally {
          finish();
        }
      },
      /** Done without a turn (refused, or answered from its key): the next may go. */
      leave: finish,
    };
  };
}
