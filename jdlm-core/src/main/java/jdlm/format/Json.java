package jdlm.format;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small JSON (RFC 8259) reader and writer, safe for untrusted input such as safetensors
 * headers.
 *
 * <p>Value mapping: object → {@code LinkedHashMap<String,Object>} (key order kept), array →
 * {@code List<Object>}, string → {@code String}, true/false → {@code Boolean}, null →
 * {@code null}. Numbers: a literal without fraction or exponent that fits in a {@code long} is a
 * {@code Long}; every other number is a {@code Double} (a number that overflows to infinity is an
 * error). The writer accepts these types plus any other {@code Map}, {@code List}, {@code Number}
 * (non-finite values refused) and {@code CharSequence}.
 *
 * <p>Reading is bounded: the caller gives the largest input length it accepts, nesting is
 * limited (default {@value #DEFAULT_MAX_DEPTH}), duplicate keys and trailing garbage are errors,
 * and every error is a {@link JsonException} whose message names the character offset.
 */
public final class Json {
    public static final int DEFAULT_MAX_DEPTH = 64;

    private Json() {}

    /** Parses {@code text}, refusing texts longer than {@code maxChars} characters. */
    public static Object parse(String text, int maxChars) {
        return parse(text, maxChars, DEFAULT_MAX_DEPTH);
    }

    /** Parses {@code text} with explicit limits on length (characters) and nesting depth. */
    public static Object parse(String text, int maxChars, int maxDepth) {
        if (text == null) throw new JsonException("JSON text is null", 0);
        if (text.length() > maxChars) {
            throw new JsonException("JSON text has " + text.length() + " characters, more than the limit of "
                    + maxChars, maxChars);
        }
        return new Reader(text, maxDepth).document();
    }

    /** Parses text that must be a JSON object; returns its members. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text, int maxChars) {
        Object v = parse(text, maxChars);
        if (!(v instanceof Map)) {
            throw new JsonException("expected a JSON object at offset 0, found " + typeName(v), 0);
        }
        return (Map<String, Object>) v;
    }

    /** Compact form: no whitespace at all. */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        new Writer(sb, null).value(value, 0);
        return sb.toString();
    }

    /** Pretty form: one member or element per line, two-space indent. */
    public static String writePretty(Object value) {
        StringBuilder sb = new StringBuilder();
        new Writer(sb, "  ").value(value, 0);
        return sb.toString();
    }

    /** A short name of a parsed value's JSON type, for error messages. */
    public static String typeName(Object v) {
        if (v == null) return "null";
        if (v instanceof Map) return "an object";
        if (v instanceof List) return "an array";
        if (v instanceof String) return "a string";
        if (v instanceof Boolean) return "a boolean";
        if (v instanceof Number) return "a number";
        return v.getClass().getSimpleName();
    }

    // ------------------------------------------------------------------------------------------

    /** Recursive descent; recursion depth is bounded by maxDepth, so no stack blow-up. */
    private static final class Reader {
        private final String s;
        private final int maxDepth;
        private int pos;

        Reader(String s, int maxDepth) {
            this.s = s;
            this.maxDepth = maxDepth;
        }

        Object document() {
            skipWhitespace();
            Object v = value(0);
            skipWhitespace();
            if (pos < s.length()) throw error("expected end of input");
            return v;
        }

        private Object value(int depth) {
            if (pos >= s.length()) throw error("expected a value");
            char c = s.charAt(pos);
            switch (c) {
                case '{': return object(depth + 1);
                case '[': return array(depth + 1);
                case '"': return string();
                case 't': literal("true"); return Boolean.TRUE;
                case 'f': literal("false"); return Boolean.FALSE;
                case 'n': literal("null"); return null;
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) return number();
                    throw error("expected a value");
            }
        }

        private Map<String, Object> object(int depth) {
            checkDepth(depth);
            pos++; // '{'
            Map<String, Object> map = new LinkedHashMap<>();
            skipWhitespace();
            if (peek() == '}') {
                pos++;
                return map;
            }
            while (true) {
                skipWhitespace();
                if (peek() != '"') throw error("expected '\"' (start of a member name)");
                int keyOffset = pos;
                String key = string();
                skipWhitespace();
                expect(':');
                skipWhitespace();
                Object v = value(depth);
                if (map.containsKey(key)) {
                    throw new JsonException("duplicate key \"" + abbreviate(key) + "\" at offset " + keyOffset, keyOffset);
                }
                map.put(key, v);
                skipWhitespace();
                int c = peek();
                if (c == ',') { pos++; continue; }
                if (c == '}') { pos++; return map; }
                throw error("expected ',' or '}'");
            }
        }

        private List<Object> array(int depth) {
            checkDepth(depth);
            pos++; // '['
            List<Object> list = new ArrayList<>();
            skipWhitespace();
            if (peek() == ']') {
                pos++;
                return list;
            }
            while (true) {
                skipWhitespace();
                list.add(value(depth));
                skipWhitespace();
                int c = peek();
                if (c == ',') { pos++; continue; }
                if (c == ']') { pos++; return list; }
                throw error("expected ',' or ']'");
            }
        }

        private String string() {
            pos++; // opening quote
            StringBuilder sb = null;
            int runStart = pos;
            while (true) {
                if (pos >= s.length()) throw error("unterminated string: expected '\"'");
                char c = s.charAt(pos);
                if (c == '"') {
                    String tail = s.substring(runStart, pos);
                    pos++;
                    return sb == null ? tail : sb.append(tail).toString();
                }
                if (c < 0x20) throw error("control character in string must be escaped");
                if (c != '\\') {
                    pos++;
                    continue;
                }
                if (sb == null) sb = new StringBuilder();
                sb.append(s, runStart, pos);
                pos++; // backslash
                if (pos >= s.length()) throw error("expected an escape character after '\\'");
                char e = s.charAt(pos);
                switch (e) {
                    case '"' -> sb.append('"');
                    case '\\' -> sb.append('\\');
                    case '/' -> sb.append('/');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        // Surrogate pairs arrive as two consecutive \\uXXXX escapes; appending the two
                        // UTF-16 units in order rebuilds the code point. Lone surrogates are kept as is.
                        pos++;
                        sb.append(hex4());
                        pos--; // hex4 leaves pos after the digits; undo the common pos++ below
                    }
                    default -> throw error("expected one of \" \\ / b f n r t u after '\\'");
                }
                pos++;
                runStart = pos;
            }
        }

        private char hex4() {
            if (pos + 4 > s.length()) {
                pos = Math.min(pos, s.length());
                throw error("expected 4 hex digits after \\u");
            }
            int v = 0;
            for (int i = 0; i < 4; i++) {
                int d = Character.digit(s.charAt(pos), 16);
                if (d < 0 || s.charAt(pos) > 'f') throw error("expected a hex digit in \\u escape");
                v = (v << 4) | d;
                pos++;
            }
            return (char) v;
        }

        private Object number() {
            int start = pos;
            boolean integral = true;
            if (peek() == '-') pos++;
            int c = peek();
            if (c == '0') {
                pos++;
                if (isDigit(peek())) throw error("leading zeros are not allowed in numbers");
            } else if (isDigit(c)) {
                while (isDigit(peek())) pos++;
            } else {
                throw error("expected a digit");
            }
            if (peek() == '.') {
                integral = false;
                pos++;
                if (!isDigit(peek())) throw error("expected a digit after '.'");
                while (isDigit(peek())) pos++;
            }
            c = peek();
            if (c == 'e' || c == 'E') {
                integral = false;
                pos++;
                c = peek();
                if (c == '+' || c == '-') pos++;
                if (!isDigit(peek())) throw error("expected a digit in exponent");
                while (isDigit(peek())) pos++;
            }
            String lit = s.substring(start, pos);
            if (integral && pos - start <= 20) {
                try {
                    return Long.parseLong(lit);
                } catch (NumberFormatException outOfRange) {
                    // falls through to Double
                }
            }
            double d = Double.parseDouble(lit);
            if (Double.isInfinite(d)) {
                throw new JsonException("number " + abbreviate(lit) + " at offset " + start
                        + " is out of the range of a double", start);
            }
            return d;
        }

        private void literal(String word) {
            if (!s.startsWith(word, pos)) throw error("expected '" + word + "'");
            pos += word.length();
        }

        private void expect(char c) {
            if (peek() != c) throw error("expected '" + c + "'");
            pos++;
        }

        private void checkDepth(int depth) {
            if (depth > maxDepth) {
                throw error("nesting deeper than the limit of " + maxDepth);
            }
        }

        private int peek() {
            return pos < s.length() ? s.charAt(pos) : -1;
        }

        private static boolean isDigit(int c) {
            return c >= '0' && c <= '9';
        }

        private void skipWhitespace() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
                pos++;
            }
        }

        private JsonException error(String what) {
            return new JsonException(what + " at offset " + pos + ", found " + describe(peek()), pos);
        }

        private static String describe(int c) {
            if (c < 0) return "end of input";
            if (c < 0x20 || c == 0x7f || Character.isSurrogate((char) c)) return String.format("U+%04X", c);
            return "'" + (char) c + "'";
        }

        private static String abbreviate(String t) {
            return t.length() <= 40 ? t : t.substring(0, 40) + "...";
        }
    }

    // ------------------------------------------------------------------------------------------

    private static final class Writer {
        private final StringBuilder sb;
        private final String indent; // null = compact

        Writer(StringBuilder sb, String indent) {
            this.sb = sb;
            this.indent = indent;
        }

        void value(Object v, int level) {
            if (level > 1000) throw new JsonException("value nested deeper than 1000 levels (a cycle?)", -1);
            switch (v) {
                case null -> sb.append("null");
                case Boolean b -> sb.append(b.booleanValue());
                case CharSequence cs -> string(cs);
                case Number n -> number(n);
                case Map<?, ?> m -> object(m, level);
                case List<?> l -> array(l, level);
                default -> throw new JsonException("cannot write a " + v.getClass().getName() + " as JSON", -1);
            }
        }

        private void object(Map<?, ?> m, int level) {
            if (m.isEmpty()) {
                sb.append("{}");
                return;
            }
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof CharSequence key)) {
                    throw new JsonException("JSON object keys must be strings, found " + e.getKey(), -1);
                }
                if (!first) sb.append(',');
                first = false;
                newline(level + 1);
                string(key);
                sb.append(indent == null ? ":" : ": ");
                value(e.getValue(), level + 1);
            }
            newline(level);
            sb.append('}');
        }

        private void array(List<?> l, int level) {
            if (l.isEmpty()) {
                sb.append("[]");
                return;
            }
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) sb.append(',');
                newline(level + 1);
                value(l.get(i), level + 1);
            }
            newline(level);
            sb.append(']');
        }

        private void newline(int level) {
            if (indent == null) return;
            sb.append('\n');
            for (int i = 0; i < level; i++) sb.append(indent);
        }

        private void number(Number n) {
            if (n instanceof Double || n instanceof Float) {
                double d = n.doubleValue();
                if (!Double.isFinite(d)) throw new JsonException("JSON cannot represent the number " + d, -1);
                // Double.toString gives valid JSON ("1.0", "1.0E-5"); integral doubles keep ".0" so
                // that they read back as Double, not Long.
                sb.append(n instanceof Float f ? Float.toString(f) : Double.toString(d));
            } else if (n instanceof java.math.BigDecimal bd) {
                sb.append(bd.toString());
            } else {
                sb.append(n.toString());
            }
        }

        private void string(CharSequence cs) {
            sb.append('"');
            for (int i = 0; i < cs.length(); i++) {
                char c = cs.charAt(i);
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    case '\b' -> sb.append("\\b");
                    case '\f' -> sb.append("\\f");
                    default -> {
                        boolean lone = Character.isHighSurrogate(c)
                                ? !(i + 1 < cs.length() && Character.isLowSurrogate(cs.charAt(i + 1)))
                                : Character.isLowSurrogate(c)
                                        && !(i > 0 && Character.isHighSurrogate(cs.charAt(i - 1)));
                        // Control characters and lone surrogates are escaped so the output is
                        // always valid JSON and encodes to valid UTF-8.
                        if (c < 0x20 || c == 0x7f || lone) {
                            sb.append(String.format("\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                    }
                }
            }
            sb.append('"');
        }
    }
}
