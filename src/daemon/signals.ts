/** Handlers of the process signals the daemon reacts to. */
export interface SignalHandlers {
  /** SIGHUP: run now. */
  reload(): void;
  /** SIGTERM or SIGINT: stop. A second one forces the stop. */
  terminate(signal: NodeJS.Signals): void;
}

/**
 * Installs the handlers for SIGHUP, SIGTERM and SIGINT, which replaces Node's default
 * of exiting at once. Returns a function that removes them again.
 */
export function handleProcessSignals(handlers: SignalHandlers): () => void {
  const onHangup = (): void => handlers.reload();
  const onTerminate = (signal: NodeJS.Signals): void => handlers.terminate(signal);
  process.on("SIGHUP", onHangup);
  process.on("SIGTERM", onTerminate);
  process.on("SIGINT", onTerminate);
  return () => {
    process.off("SIGHUP", onHangup);
    process.off("SIGTERM", onTerminate);
    process.off("SIGINT", onTerminate);
  };
}
