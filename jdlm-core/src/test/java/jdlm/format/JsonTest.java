package jdlm.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class JsonTest {
    private static final int MAX = 1 << 20;

    private static JsonException failure(String text) {
        return assertThrows(JsonException.class, () -> Json.parse(text, MAX));
    }

    @Test
    void parsesAllValueTypesWithDocumentedNumberRule() {
        Object v = Json.parse(" {\"a\": [1, -2, 3.5, 1e3, true, false, null, \"x\"], \"b\": {}} ", MAX);
        Map<?, ?> m = assertInstanceOf(LinkedHashMap.class, v);
        assertEquals(List.of("a", "b"), new ArrayList<>(m.keySet()));
        List<?> a = (List<?>) m.get("a");
        assertEquals(1L, a.get(0));
        assertEquals(-2L, a.get(1));
        assertEquals(3.5, a.get(2));
        assertEquals(1000.0, a.get(3)); // exponent ⇒ Double even when integral
        assertEquals(Boolean.TRUE, a.get(4));
        assertEquals(Boolean.FALSE, a.get(5));
        assertNull(a.get(6));
        assertEquals("x", a.get(7));
        assertEquals(Map.of(), m.get("b"));
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807", MAX));
        assertEquals(Long.MIN_VALUE, Json.parse("-9223372036854775808", MAX));
        assertEquals(9223372036854775808.0, Json.parse("9223372036854775808", MAX)); // beyond long ⇒ Double
    }

    @Test
    void allEscapesAreDecoded() {
        String s = (String) Json.parse("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u0041\\u00e9 \\ud83d\\ude00\"", MAX);
        assertEquals("q\" b\\ s/ \b\f\n\r\t Aé \uD83D\uDE00", s);
        assertEquals("😀", ((String) Json.parse("\"\\uD83D\\uDE00\"", MAX)));
    }

    @Test
    void writerEscapesControlCharactersAndLoneSurrogates() {
        String nasty = "a\"\\\n\r\t\b\f\u0000\u001f\u007f \uD83D\uDE00 lone:\uD800 \uDC00 end";
        String json = Json.write(nasty);
        assertTrue(json.contains("\\u0000") && json.contains("\\u001f") && json.contains("\\ud800"), json);
        assertTrue(json.contains("\uD83D\uDE00"), "valid pairs are written as they are");
        assertEquals(nasty, Json.parse(json, MAX));
    }

    @Test
    void compactAndPrettyFormsRoundTrip() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", "byte");
        m.put("ids", List.of(1L, 2L, 3L));
        m.put("scale", 0.125);
        m.put("whole", 2.0);
        m.put("nested", Map.of("k", List.of()));
        m.put("nothing", null);
        String compact = Json.write(m);
        assertEquals("{\"name\":\"byte\",\"ids\":[1,2,3],\"scale\":0.125,\"whole\":2.0,\"nested\":{\"k\":[]},"
                + "\"nothing\":null}", compact);
        String pretty = Json.writePretty(m);
        assertTrue(pretty.startsWith("{\n  \"name\": \"byte\",\n  \"ids\": [\n    1,\n"), pretty);
        assertEquals(m, Json.parse(compact, MAX));
        assertEquals(m, Json.parse(pretty, MAX));
    }

    @Test
    void writerRefusesNonFiniteNumbersAndUnknownTypes() {
        assertThrows(JsonException.class, () -> Json.write(Double.NaN));
        assertThrows(JsonException.class, () -> Json.write(List.of(Double.POSITIVE_INFINITY)));
        assertThrows(JsonException.class, () -> Json.write(new Object()));
    }

    @Test
    void errorsNameTheOffsetAndWhatWasFound() {
        JsonException e = failure("{\"a\":1 x}");
        assertEquals("expected ',' or '}' at offset 7, found 'x'", e.getMessage());
        assertEquals(7, e.offset());
        assertEquals("expected ',' or ']' at offset 3, found end of input", failure("[1 ").getMessage());
        assertEquals("expected a value at offset 3, found ']'", failure("[1,]").getMessage());
        assertEquals(5, failure("{\"a\":}").offset());
        assertEquals("expected end of input at offset 3, found 'x'", failure("{} x").getMessage());
        assertTrue(failure("\"abc").getMessage().startsWith("unterminated string"));
        assertEquals(1, failure("\"\u0001\"").offset());
        assertEquals(1, failure("01").offset());
        assertEquals(2, failure("\"\\x\"").offset());
        assertEquals(5, failure("\"\\u12g4\"").offset());
        assertEquals(0, failure("").offset());
        assertEquals(0, failure("nul").offset());
        assertTrue(failure("1e999").getMessage().contains("out of the range"));
    }

    @Test
    void duplicateKeysAreErrors() {
        JsonException e = failure("{\"a\":1,\"b\":2,\"a\":3}");
        assertEquals("duplicate key \"a\" at offset 13", e.getMessage());
    }

    @Test
    void deepNestingIsRefusedNotOverflowed() {
        String ok = "[".repeat(64) + "]".repeat(64);
        Json.parse(ok, MAX);
        JsonException e = failure("[".repeat(65) + "]".repeat(65));
        assertEquals(64, e.offset());
        assertTrue(e.getMessage().contains("nesting deeper than the limit of 64"));
        // A hostile header of a million brackets is refused at the limit, no StackOverflowError.
        assertThrows(JsonException.class, () -> Json.parse("[{\"a\":".repeat(500_000), 10_000_000));
    }

    @Test
    void inputLongerThanTheCallersLimitIsRefused() {
        JsonException e = assertThrows(JsonException.class, () -> Json.parse("[1,2,3]", 6));
        assertTrue(e.getMessage().contains("more than the limit of 6"), e.getMessage());
    }

    @Test
    void parseObjectRejectsOtherTopLevelTypes() {
        assertThrows(JsonException.class, () -> Json.parseObject("[1]", MAX));
        assertEquals(Map.of("a", 1L), Json.parseObject("{\"a\":1}", MAX));
    }

    @Test
    void randomMutationsEitherParseOrThrowJsonException() {
        String valid = "{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24],"
                + "\"meta\":{\"s\":\"a\\u00e9\\n\\ud83d\\ude00\",\"x\":-1.5e-3,\"t\":true,\"n\":null,\"l\":[[],{}]}}";
        Json.parse(valid, MAX);
        String alphabet = "{}[]\",:\\u0123456789abcdefEe+-.tfn \n\u0000\uD800é";
        SplittableRandom rnd = new SplittableRandom(42);
        int parsed = 0;
        for (int trial = 0; trial < 4000; trial++) {
            char[] c = valid.toCharArray();
            StringBuilder sb = new StringBuilder(new String(c));
            int edits = 1 + rnd.nextInt(4);
            for (int k = 0; k < edits && sb.length() > 0; k++) {
                int at = rnd.nextInt(sb.length());
                switch (rnd.nextInt(4)) {
                    case 0 -> sb.deleteCharAt(at);
                    case 1 -> sb.insert(at, alphabet.charAt(rnd.nextInt(alphabet.length())));
                    case 2 -> sb.setCharAt(at, alphabet.charAt(rnd.nextInt(alphabet.length())));
                    default -> sb.setLength(at); // truncation
                }
            }
            String text = sb.toString();
            try {
                Object v = Json.parse(text, MAX);
                parsed++;
                // Whatever parsed must write and re-read to an equal value.
                assertEquals(v, Json.parse(Json.write(v), MAX));
            } catch (JsonException expected) {
                assertTrue(expected.offset() >= 0 && expected.offset() <= text.length(),
                        "offset within input: " + expected.getMessage());
            } catch (RuntimeException | Error other) {
                fail("mutation " + Arrays.toString(text.toCharArray()) + " threw " + other);
            }
        }
        assertTrue(parsed > 0 && parsed < 4000, "mutations should both succeed and fail: " + parsed);
    }
}
