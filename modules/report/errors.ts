/** Bad input to the report (a ledger file, a base that cannot be read): the CLI prints the message in one line and exits 1. */
export class ReportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReportError";
  }
}
