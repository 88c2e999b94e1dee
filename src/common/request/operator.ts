/** Who made a change from outside the API (the admin command line), as its audit event names them. */
export interface Operator {
  channel: 'cli';
  /** The OS user who ran the command. */
  operator: string;
}
