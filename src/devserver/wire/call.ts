/** What an RPC handler gets besides its request; here so feature rooms need nothing of rpc/ to declare a handler. */
export interface CallContext {
  /** Aborts when the client cancels the call or the server stops. */
  signal: AbortSignal;
  /** The call's gRPC deadline (epoch ms), Infinity when the client set none. */
  deadlineMs: number;
}
