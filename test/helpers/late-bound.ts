/**
 * A stand-in for a value a jest beforeAll creates: the lifecycle helpers return it at describe time, so a
 * test file can destructure it once (`const { engine } = useIngestEnv(...)`), and every property read
 * goes to the started value, or fails plainly before beforeAll ran.
 */
export function lateBound<T extends object>(what: string, current: () => T | undefined): T {
  return new Proxy({} as T, {
    get(_target, key) {
      const value = current();
      if (value === undefined) throw new Error(`${what} is only there from beforeAll on`);
      return Reflect.get(value, key) as unknown;
    },
  });
}
