/**
 * What one file may hold, checked while it is read (never after buffering), so memory is
 * bounded by these figures and not by the file: a file with no line breaks, one endless JSON
 * string or /dev/zero ends with a problem (exit 3), not with the heap. README "Reliability"
 * lists them. Every reader (CSV, JSON, JSON Lines, mapping profiles, and any reader added later)
 * keeps to them.
 */

/** Longest cell, and longest JSON string value (characters). Alma's longest free-text field is far shorter. */
export const MAX_CELL_CHARS = 100_000;

/** Longest CSV record (csv-parse measures UTF-8 bytes, so a record of non-ASCII text holds fewer characters). */
export const MAX_RECORD_CHARS = 1_000_000;

/** Longest JSON value read as one: an element of the top-level array, one JSON Lines line (characters). */
export const MAX_JSON_VALUE_CHARS = 16 * 1024 * 1024;

/** Longest JSON document read whole (a mapping profile's `json.rows` path), characters. */
export const MAX_JSON_DOCUMENT_CHARS = 32 * 1024 * 1024;

/** `1000000` → `1,000,000`, for messages. */
export const formatLimit = (n: number): string => n.toLocaleString('en-US');
