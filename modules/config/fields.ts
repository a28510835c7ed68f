import { z } from "zod";
import { MAX_CONCURRENCY, MAX_ERRORS } from "../../contract/patterns";

/*
 * Field schemas several config sections share, each with the message a user sees as "allowed".
 */

/** A MaxConcurrency value (count or percentage) with a default and a description. */
export const concurrencyField = (what: string, dflt: string) =>
  z
    .string({ error: 'a count or percentage such as "10" or "10%"' })
    .regex(MAX_CONCURRENCY, { error: 'a count (1 or more) or percentage (1%-100%) such as "10" or "10%"' })
    .default(dflt)
    .describe(what);

/** A MaxErrors value (count or percentage, 0 allowed) with a default and a description. */
export const errorsField = (what: string, dflt: string) =>
  z
    .string({ error: 'a count or percentage such as "0", "5" or "10%"' })
    .regex(MAX_ERRORS, { error: 'a count (0 or more) or percentage (0%-100%) such as "0" or "10%"' })
    .default(dflt)
    .describe(what);
