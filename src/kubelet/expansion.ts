/**
 * `$(VAR)` expansion as the kubelet applies it to env values, command, args and subPathExpr
 * (kube's third_party/forked/golang/expansion): `$$` is an escaped `$`, a reference whose variable is unknown
 * stays in the text literally, and an unterminated `$(` is kept as written.
 */

/** Resolves a variable name to its value, or undefined when it is not defined. */
export type VariableLookup = (name: string) => string | undefined;

/** A lookup over several maps, the first that defines the name winning (kube's MappingFuncFor). */
export function lookupIn(...contexts: ReadonlyArray<ReadonlyMap<string, string>>): VariableLookup {
  return (name) => {
    for (const vars of contexts) {
      const value = vars.get(name);
      if (value !== undefined) return value;
    }
    return undefined;
  };
}

/**
 * Expands `$(NAME)` references in `input`. `onMissing` is told each name the lookup does not know; such a
 * reference is kept as `$(NAME)` unless `onMissing` returns a replacement.
 */
export function expand(input: string, lookup: VariableLookup, onMissing?: (name: string) => string | undefined): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const next = input[cursor + 1];
    let advance = 1;
    if (next === '$') {
      // `$$` is an escaped operator.
      out += '$';
    } else if (next === '(') {
      const close = input.indexOf(')', cursor + 2);
      if (close === -1) {
        // Incomplete reference: keep `$(` and carry on after it.
        out += '$(';
      } else {
        const name = input.slice(cursor + 2, close);
        const value = lookup(name);
        out += value ?? onMissing?.(name) ?? `$(${name})`;
        advance = close - cursor;
      }
    } else {
      // A lone operator followed by something else: both kept.
      out += `$${next}`;
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}
