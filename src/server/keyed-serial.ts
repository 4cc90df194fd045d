/**
 * Runs tasks of one key one after the other, on this node (tasks of other keys run freely).
 * A failed task does not stop the next one of its key; the map holds only keys with work.
 */
export class KeyedSerial {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const run = (this.tails.get(key) ?? Promise.resolve()).then(task, task);
    this.tails.set(key, run);
    const forget = () => {
      if (this.tails.get(key) === run) this.tails.delete(key);
    };
    run.then(forget, forget);
    return run;
  }
}
