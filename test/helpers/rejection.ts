/** The message `action` was rejected with; throws if it fulfils (for a rejection that is not an Error, too). */
export async function rejection(action: Promise<unknown>): Promise<string> {
  const outcome = await action.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error)) throw new Error("expected the action to be rejected with an Error");
  return outcome.message;
}
