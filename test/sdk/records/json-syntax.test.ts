import { expect } from "chai";
import fc from "fast-check";

import { jsonSyntaxMessage, jsonSyntaxProblem } from "../../../sdk/records/json-syntax";

/** Whether JSON.parse takes `text`: the grammar jsonSyntaxProblem must agree with. */
function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** JSON texts, pretty-printed or not, and the same texts with one character deleted, replaced or inserted. */
const jsonText = fc.oneof(
  fc.json(),
  fc.jsonValue().map((value) => JSON.stringify(value, null, 2)),
);
const mutated = fc
  .tuple(
    jsonText,
    fc.nat(),
    fc.constantFrom("delete", "replace", "insert"),
    fc.constantFrom(...Array.from('{}[],:"\\ 0-1e.tnx\n')),
  )
  .map(([text, at, how, char]) => {
    const index = text.length === 0 ? 0 : at % text.length;
    if (how === "delete") return text.slice(0, index) + text.slice(index + 1);
    if (how === "replace") return text.slice(0, index) + char + text.slice(index + 1);
    return text.slice(0, index) + char + text.slice(index);
  });

describe("sdk/records: jsonSyntaxProblem", () => {
  // The scan and JSON.parse accept the same texts: it finds a problem exactly where JSON.parse throws.
  it("finds a problem in a text exactly when JSON.parse refuses it", () => {
    fc.assert(
      fc.property(fc.oneof(jsonText, mutated, fc.string()), (text) => {
        expect(jsonSyntaxProblem(text) === undefined, JSON.stringify(text)).to.equal(parses(text));
      }),
      { numRuns: 1_000 },
    );
  });

  // Whatever the text, the message is built from line, column and a fixed phrase: none of the text is in it.
  it("never quotes the text", () => {
    fc.assert(
      // Capitals and digits: no phrase of the messages holds such a run.
      fc.property(fc.stringMatching(/^[A-Z][0-9][A-Z0-9]{4,10}$/), mutated, (secret, text) => {
        const message = jsonSyntaxMessage(`${text}${secret}`);
        expect(message).to.not.contain(secret);
        expect(message).to.match(/^not valid JSON: .+ at line \d+, column \d+$/);
      }),
    );
  });

  it("locates a record that begins with a name at line 1, column 1, naming nothing of it", () => {
    const text = "Jane Doe, born 1980-04-02, MRN 4471-22";
    expect(jsonSyntaxMessage(text)).to.equal(
      "not valid JSON: an unexpected character where a value should be at line 1, column 1",
    );
    // What V8 would have said, for contrast: Unexpected token 'J', "Jane Doe, "... is not valid JSON
    expect(() => JSON.parse(text) as unknown).to.throw(/Jane/);
  });

  for (const [text, problem, line, column] of [
    ['{\n  "name": Jane\n}', "an unexpected character where a value should be", 2, 11],
    ['{"a": 1,\r\n "b": 2,}', "a property name not in double quotes (or a comma before a closing brace)", 2, 9],
    ['{"given": "Jan\ne"}', "a control character (a line break or tab) inside a string", 1, 15],
    ['{"family": "Doe}', "a string that is never closed", 1, 12],
    ['{"a": "\\x"}', 'an escape that JSON does not have (\\", \\\\, \\/, \\b, \\f, \\n, \\r, \\t or \\uXXXX)', 1, 8],
    ['{"a": "\\u12"}', "a \\u escape without 4 hex digits", 1, 8],
    ['{"a" 1}', "a missing colon after a property name", 1, 6],
    ['{"a": 1 "b": 2}', "a missing comma, or a missing }, in an object", 1, 9],
    ["[1, 2", "the text ends inside an array", 1, 6],
    ["[01]", "a malformed number", 1, 2],
    ["[1.]", "a malformed number", 1, 2],
    ['["😀", x]', "an unexpected character where a value should be", 1, 7],
    ['{"a": 1}}', "more text after the JSON value", 1, 9],
    ["", "the text ends where a value should be", 1, 1],
    ['{"é": "ü", "x" 1}', "a missing colon after a property name", 1, 16],
  ] as const) {
    it(`says "${problem}" at line ${line}, column ${column} of ${JSON.stringify(text)}`, () => {
      expect(jsonSyntaxProblem(text)).to.deep.equal({ line, column, problem });
    });
  }

  it("scans deep nesting without overflowing the stack", () => {
    expect(jsonSyntaxProblem(`${"[".repeat(200_000)}${"]".repeat(200_000)}`)).to.equal(undefined);
    expect(jsonSyntaxProblem(`${"[".repeat(200_000)}x`)?.column).to.equal(200_001);
  });
});
