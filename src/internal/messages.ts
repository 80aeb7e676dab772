/** The words of a failure, for a sentence about it: its `message`, or the value as text. */
export const messageOf = (error: unknown): string =>
  typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string"
    ? (error as { message: string }).message
    : String(error)
