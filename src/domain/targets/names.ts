/** The targets a batch can be loaded into (`--target`). Alma is the default (README "Everyday use"). */
export const TARGET_NAMES = ['alma', 'exsited', 'alguna', 'folio'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

export const isTargetName = (s: string): s is TargetName => (TARGET_NAMES as readonly string[]).includes(s);
