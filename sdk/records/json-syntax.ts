/**
 * Where a text that `JSON.parse` refused stops being JSON, told without any of its content.
 *
 * V8's own message quotes the input (`Unexpected token 'J', "Jane Doe, "... is not valid JSON`), and a FHIR record
 * is PHI: its text must never reach an error, a log or a terminal. So the refusal is located by scanning the text
 * against RFC 8259's grammar here, and told as a line, a column and the kind of mistake, which is what a person needs
 * to open the file and fix it.
 */

/** Where and why a text is not JSON: a 1-based line and column (in characters), and the mistake in words. */
export interface JsonSyntaxProblem {
  line: number;
  column: number;
  /** The kind of mistake, quoting nothing of the text: "an unexpected character", "a string that is never closed"… */
  problem: string;
}

/**
 * The first place `text` breaks RFC 8259's JSON grammar (what `JSON.parse` accepts), or undefined if it is JSON. The
 * scan keeps its own stack, so that deeply nested input cannot overflow the call stack.
 */
export function jsonSyntaxProblem(text: string): JsonSyntaxProblem | undefined {
  const found = firstProblem(text);
  return found === undefined ? undefined : { ...lineAndColumn(text, found.offset), problem: found.problem };
}

/** "not valid JSON: an unexpected character at line 1, column 1", or "not valid JSON" when the scan finds nothing. */
export function jsonSyntaxMessage(text: string): string {
  const found = jsonSyntaxProblem(text);
  return found === undefined
    ? "not valid JSON"
    : `not valid JSON: ${found.problem} at line ${found.line}, column ${found.column}`;
}

/** `offset` (a UTF-16 index) as a 1-based line and a column counted in characters, as editors count them. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lines = before.split(/\r\n|\r|\n/);
  return { line: lines.length, column: Array.from(lines[lines.length - 1] ?? "").length + 1 };
}

const WHITESPACE = new Set([" ", "\t", "\n", "\r"]);
const ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t"]);

function firstProblem(text: string): { offset: number; problem: string } | undefined {
  let i = 0;
  const open: ("{" | "[")[] = [];
  const problem = (what: string, offset = i) => ({ offset, problem: what });
  const skipWhitespace = () => {
    while (i < text.length && WHITESPACE.has(text[i]!)) i++;
  };

  /** A string at `i` (its opening quote); moves past its closing quote. */
  const string = (): { offset: number; problem: string } | undefined => {
    const start = i++;
    while (i < text.length) {
      const code = text.charCodeAt(i);
      if (code === 0x22) {
        i++;
        return undefined;
      }
      if (code < 0x20) return problem("a control character (a line break or tab) inside a string");
      if (code === 0x5c) {
        const escape = text[i + 1];
        if (escape === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return problem("a \\u escape without 4 hex digits");
          i += 6;
        } else if (escape !== undefined && ESCAPES.has(escape)) {
          i += 2;
        } else {
          return problem('an escape that JSON does not have (\\", \\\\, \\/, \\b, \\f, \\n, \\r, \\t or \\uXXXX)');
        }
        continue;
      }
      i++;
    }
    return problem("a string that is never closed", start);
  };

  /** A number at `i`: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
  const number = (): { offset: number; problem: string } | undefined => {
    const start = i;
    const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 1024));
    if (match === null) return problem("a malformed number", start);
    i += match[0].length;
    // "01", "1.", "1e": the valid prefix ends where a digit, a point or an exponent goes on.
    if (/^[\d.eE+-]/.test(text[i] ?? "")) return problem("a malformed number", start);
    return undefined;
  };

  /** A value that is not an object or an array. */
  const scalar = (): { offset: number; problem: string } | undefined => {
    const char = text[i]!;
    if (char === '"') return string();
    if (char === "-" || (char >= "0" && char <= "9")) return number();
    for (const literal of ["true", "false", "null"]) {
      if (text.startsWith(literal, i)) {
        i += literal.length;
        return undefined;
      }
    }
    return problem("an unexpected character where a value should be");
  };

  /** A property name and its colon, at `i`. */
  const propertyName = (): { offset: number; problem: string } | undefined => {
    if (text[i] !== '"') return problem("a property name not in double quotes (or a comma before a closing brace)");
    const wrong = string();
    if (wrong !== undefined) return wrong;
    skipWhitespace();
    if (text[i] !== ":") return problem("a missing colon after a property name");
    i++;
    return undefined;
  };

  for (;;) {
    // A value.
    skipWhitespace();
    if (i >= text.length) return problem("the text ends where a value should be");
    const char = text[i];
    if (char === "{" || char === "[") {
      i++;
      skipWhitespace();
      if (text[i] !== (char === "{" ? "}" : "]")) {
        open.push(char);
        if (char === "{") {
          const wrong = propertyName();
          if (wrong !== undefined) return wrong;
        }
        continue;
      }
      i++; // an empty object or array: a whole value
    } else {
      const wrong = scalar();
      if (wrong !== undefined) return wrong;
    }
    // After a value: close what it ends, or go on to the next member.
    for (;;) {
      skipWhitespace();
      const container = open[open.length - 1];
      if (container === undefined) return i < text.length ? problem("more text after the JSON value") : undefined;
      const name = container === "{" ? "an object" : "an array";
      if (i >= text.length) return problem(`the text ends inside ${name}`);
      if (text[i] === (container === "{" ? "}" : "]")) {
        i++;
        open.pop();
        continue;
      }
      if (text[i] !== ",") return problem(`a missing comma, or a missing ${container === "{" ? "}" : "]"}, in ${name}`);
      i++;
      if (container === "{") {
        skipWhitespace();
        const wrong = propertyName();
        if (wrong !== undefined) return wrong;
      }
      break;
    }
  }
}
