// exceljs's own XML helpers, which src/input/xlsx-strings.ts is given to read shared strings
// the way exceljs's stream reader reads the rest of a workbook (exceljs 4.4, CommonJS, untyped).
declare module 'exceljs/lib/utils/parse-sax.js' {
  const parseSax: (iterable: AsyncIterable<unknown>) => AsyncIterable<{ eventType: string; value: { name?: string } | string }[]>;
  export default parseSax;
}
declare module 'exceljs/lib/utils/iterate-stream.js' {
  const iterateStream: (stream: unknown) => AsyncIterable<unknown>;
  export default iterateStream;
}
declare module 'exceljs/lib/xlsx/defaultnumformats.js' {
  const formats: Record<number, { f?: string } & Record<string, string>>;
  export default formats;
}
