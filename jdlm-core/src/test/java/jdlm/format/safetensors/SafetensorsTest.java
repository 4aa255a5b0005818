package jdlm.format.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

import jdlm.format.FormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    @TempDir Path dir;

    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * 3);
        return a;
    }

    private Path sample() throws IOException {
        Path p = dir.resolve("m.safetensors");
        new SafetensorsWriter()
                .add("w", DType.F32, new long[] {3, 5}, random(15, 1), 0)
                .add("h", DType.F16, new long[] {7}, random(7, 2), 0)
                .add("b", DType.BF16, new long[] {2, 2, 2}, random(8, 3), 0)
                .metadata("format", "pt")
                .write(p);
        return p;
    }

    @Test
    void roundTripKeepsF32ExactlyAndHalfTypesWithinTheirPrecision() throws IOException {
        Path p = sample();
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals("pt", f.metadata().get("format"));
            assertEquals(Arrays.asList("w", "h", "b"), f.tensors().keySet().stream().toList());
            assertTrue(Arrays.equals(random(15, 1), f.readFloats("w")));
            float[] h = f.readFloats("h"), hWant = random(7, 2);
            for (int i = 0; i < 7; i++) assertEquals(hWant[i], h[i], Math.abs(hWant[i]) * 0x1p-11 + 1e-7); // f16: 11-bit significand
            float[] b = f.readFloats("b"), bWant = random(8, 3);
            for (int i = 0; i < 8; i++) assertEquals(bWant[i], b[i], Math.abs(bWant[i]) * 0x1p-8); // bf16: 8-bit significand, rounded
            assertEquals(3, f.tensor("b").shape().length);
        }
    }

    @Test
    void bf16RoundsToNearestEven() {
        // 1 + 2⁻⁸ lies exactly between the bf16 neighbours 1 and 1 + 2⁻⁷: ties go to the even one, 1.
        assertEquals(0x3F80, SafetensorsWriter.toBf16(1f + 0x1p-8f) & 0xFFFF);
        // 1 + 3·2⁻⁸ lies between 1 + 2⁻⁷ (odd) and 1 + 2⁻⁶ (even): ties to 1 + 2⁻⁶.
        assertEquals(0x3F82, SafetensorsWriter.toBf16(1f + 3 * 0x1p-8f) & 0xFFFF);
        assertEquals(0x3F81, SafetensorsWriter.toBf16(1f + 0x1p-7f) & 0xFFFF);
    }

    private Path withHeader(String json, int dataBytes) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path p = Files.createTempFile(dir, "bad", ".safetensors");
        Files.write(p, b.array());
        return p;
    }

    private static String messageOf(Path p) {
        return assertThrows(FormatException.class, () -> SafetensorsFile.open(p).close()).getMessage();
    }

    @Test
    void badHeadersAreRejectedNamingTheField() throws IOException {
        assertTrue(messageOf(withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4)).contains("a.data_offsets"));
        assertTrue(messageOf(withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8)).contains("12 bytes"));
        assertTrue(messageOf(withHeader("{\"a\":{\"dtype\":\"Q9\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8)).contains("a.dtype"));
        assertTrue(messageOf(withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8)).contains("a.shape[0]"));
        assertTrue(messageOf(withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,8]}}", 8))
                .contains("fits in 63 bits"));
        assertTrue(messageOf(withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12)).contains("overlapping"));
        assertTrue(messageOf(withHeader("{\"a\":", 0)).contains("malformed"));
        Path tiny = dir.resolve("tiny");
        Files.write(tiny, new byte[] {1, 2, 3});
        assertTrue(messageOf(tiny).contains("header length"));
        Path hugeLength = dir.resolve("huge");
        Files.write(hugeLength, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE).array());
        assertTrue(messageOf(hugeLength).contains("header length"));
    }

    @Test
    void mutatedFilesAreEitherReadOrRejectedWithAFormatException() throws IOException {
        byte[] good = Files.readAllBytes(sample());
        SplittableRandom r = new SplittableRandom(99);
        int rejected = 0;
        for (int trial = 0; trial < 3000; trial++) {
            byte[] bad;
            switch (trial % 4) {
                case 0 -> bad = Arrays.copyOf(good, r.nextInt(good.length)); // truncated
                case 1 -> { // flipped bytes, mostly in the header
                    bad = good.clone();
                    for (int k = 0; k < 1 + r.nextInt(4); k++) bad[r.nextInt(Math.min(bad.length, 200))] ^= (byte) (1 << r.nextInt(8));
                }
                case 2 -> { // a digit of the header replaced by a huge number
                    String s = new String(good, StandardCharsets.ISO_8859_1);
                    int at = 8 + r.nextInt(Math.min(180, s.length() - 8));
                    while (at < s.length() && !Character.isDigit(s.charAt(at))) at++;
                    if (at >= s.length()) at = 10;
                    s = s.substring(0, at) + "99999999999999999999" + s.substring(at + 1);
                    bad = s.getBytes(StandardCharsets.ISO_8859_1);
                }
                default -> { // random header length
                    bad = good.clone();
                    ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN).putLong(0, r.nextLong());
                }
            }
            Path p = dir.resolve("fuzz.safetensors");
            Files.write(p, bad);
            try (SafetensorsFile f = SafetensorsFile.open(p)) {
                for (String name : f.tensors().keySet()) f.readFloats(name);
            } catch (FormatException expected) {
                rejected++;
            }
        }
        assertTrue(rejected > 1000, "most mutations must be caught, got " + rejected);
    }
}
